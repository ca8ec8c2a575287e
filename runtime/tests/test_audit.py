"""The audit log over a real NX-27017: an entry is written with its change, filed
once by the publish or the relay, and read newest first, filtered and paged."""

import pytest
from pymongo import MongoClient

from tilts_runtime import audit
from tilts_runtime.store import AUDIT, PENDING, Store

pytestmark = pytest.mark.integration


class Things(Store):
    outbox_collections = ("organisations",)


@pytest.fixture
def store(mongo_uri):
    client = MongoClient(mongo_uri)
    things = Things(client["tilts_audit_test"])
    things.ensure_indexes()
    yield things
    client.drop_database("tilts_audit_test")
    client.close()


def verify(org):
    return {**org, "status": "verified"}


def test_a_change_and_its_audit_entry_are_one_write(store):
    store.insert("organisations", {"_id": "org_1", "status": "pending"})
    stored = store.replace(
        "organisations",
        verify(store.get_doc("organisations", "org_1", "x")),
        audit=[audit.entry("staff:s1", "verified", "org_1")],
    )
    assert stored[PENDING] and stored[AUDIT][0]["by"] == "staff:s1"
    assert store.db.audit.count_documents({}) == 0  # not filed until the relay runs
    store.flush_outbox(None, only=("organisations", "org_1"))
    [filed] = audit.read(store.db)
    assert (filed["by"], filed["action"], filed["object_id"]) == ("staff:s1", "verified", "org_1")
    assert not store.db.organisations.find_one({"_id": "org_1"})[AUDIT]


def test_the_unit_of_work_files_the_entry_at_once(store):
    store.add(
        "organisations",
        {"_id": "org_1", "status": "pending"},
        audit=audit.entry("org:org_1:a", "registered", "org_1"),
    )
    store.change(
        "organisations",
        "org_1",
        verify,
        audit=lambda o: audit.entry("staff:s1", o["status"], o["_id"]),
    )
    log = audit.read(store.db, object_id="org_1")
    assert [e["action"] for e in log] == ["verified", "registered"]
    assert [e["action"] for e in audit.read(store.db, actor="staff:s1")] == ["verified"]


def test_a_change_that_changes_nothing_records_nothing(store):
    store.add("organisations", {"_id": "org_1", "status": "pending"})
    store.change(
        "organisations", "org_1", lambda o: o, audit=audit.entry("staff:s1", "verified", "org_1")
    )
    assert audit.read(store.db) == []


def test_filing_twice_keeps_one_entry_and_pages_go_back_in_time(store):
    made = [audit.entry("staff:s1", f"edit{i}", "org_1") for i in range(5)]
    audit.file(store.db, made)
    audit.file(store.db, made)
    first = audit.read(store.db, limit=2)
    rest = audit.read(store.db, limit=10, before=first[-1]["id"])
    assert len(first) == 2 and len(rest) == 3
    assert {e["id"] for e in first + rest} == {e["_id"] for e in made}
