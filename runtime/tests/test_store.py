"""The Store base every service's storage builds on, over a real NX-27017: writes carry
their events, a stale write is refused, the unit of work retries, the relay publishes
what a writer left behind, unreadable events are parked once."""

import threading
from datetime import UTC, timedelta

import pytest
from pymongo import MongoClient, monitoring

from conftest import eventually
from tilts_contracts.clock import iso, utcnow
from tilts_contracts.errors import NotFound
from tilts_contracts.events import envelope
from tilts_runtime.store import ERASED_REASON, OUTBOX, PENDING, VERSION, StaleWrite, Store

pytestmark = pytest.mark.integration

ORG = {"name": "Drošā māja", "status": "pending"}


class Things(Store):
    outbox_collections = ("organisations",)


@pytest.fixture
def store(mongo_uri):
    client = MongoClient(mongo_uri)
    things = Things(client["tilts_runtime_test"])
    things.ensure_indexes()
    yield things
    client.drop_database("tilts_runtime_test")
    client.close()


class Sent:
    """A dispatcher that records what it was given."""

    def __init__(self):
        self.events: list[dict] = []

    def __call__(self, event_type: str, env: dict) -> None:
        assert env["type"] == event_type
        self.events.append(env)


def test_a_document_and_its_event_are_one_write(store):
    stored = store.insert("organisations", {"_id": "org_1", **ORG}, ["organisation_registered"])
    assert stored[VERSION] == 1 and stored["revision"] == 1 and stored[PENDING]
    [event] = store.db.organisations.find_one({"_id": "org_1"})[OUTBOX]
    assert event["type"] == "organisation_registered"
    assert event["payload"]["id"] == "org_1" and event["payload"]["name"] == "Drošā māja"


def test_publishing_clears_the_outbox_and_sends_each_event_once(store):
    sent = Sent()
    store.add("organisations", {"_id": "org_1", **ORG}, ["organisation_registered"], sent)
    assert [e["type"] for e in sent.events] == ["organisation_registered"]
    held = store.db.organisations.find_one({"_id": "org_1"})
    assert held[OUTBOX] == [] and not held[PENDING]
    assert store.flush_outbox(sent) == 0  # nothing left for the relay


def test_the_relay_publishes_what_a_writer_that_died_left(store, monkeypatch):
    from tilts_runtime import store as store_module

    store.insert("organisations", {"_id": "org_1", **ORG}, ["organisation_registered"])
    sent = Sent()
    assert store.flush_outbox(sent) == 0  # left to its writer for a moment
    monkeypatch.setattr(store_module, "RELAY_GRACE", store_module.timedelta(seconds=-5))
    assert store.flush_outbox(sent) == 1
    assert store.flush_outbox(sent) == 0


def test_a_redelivered_insert_returns_the_first_document(store):
    first = store.insert_once("organisations", {"_id": "org_1", **ORG}, ["organisation_registered"])
    again = store.insert_once(
        "organisations", {"_id": "org_1", "name": "Other", "status": "pending"}, []
    )
    assert again["name"] == first["name"] == "Drošā māja"
    assert store.db.organisations.count_documents({}) == 1


def test_a_write_over_a_version_someone_moved_past_is_stale(store):
    read = store.insert("organisations", {"_id": "org_1", **ORG})
    store.replace("organisations", {**read, "status": "verified"})
    with pytest.raises(StaleWrite):
        store.replace("organisations", {**read, "status": "suspended"})
    assert store.db.organisations.find_one({"_id": "org_1"})["status"] == "verified"


def test_change_decides_again_when_another_writer_got_there_first(store):
    store.insert("organisations", {"_id": "org_1", **ORG, "count": 0})
    sent, seen = Sent(), []

    def bump(doc):
        seen.append(doc["count"])
        if len(seen) == 1:  # someone else writes between our read and our write
            store.replace("organisations", {**doc, "count": 10})
        return {**doc, "count": doc["count"] + 1}

    stored = store.change("organisations", "org_1", bump, ["organisation_updated"], sent)
    assert seen == [0, 10] and stored["count"] == 11
    assert [e["payload"]["revision"] for e in sent.events] == [stored["revision"]]


def test_change_that_decides_nothing_writes_and_publishes_nothing(store):
    stored = store.insert("organisations", {"_id": "org_1", **ORG})
    sent = Sent()
    same = store.change("organisations", "org_1", lambda d: d, ["organisation_updated"], sent)
    assert same[VERSION] == stored[VERSION] and sent.events == []


def test_change_names_events_made_from_what_it_decided(store):
    store.insert("organisations", {"_id": "org_1", **ORG})
    sent = Sent()

    def verify(doc):
        return {**doc, "status": "verified"}

    def events(new):
        return [f"organisation_{new['status']}"]

    stored = store.change("organisations", "org_1", verify, events, sent)
    assert [e["type"] for e in sent.events] == ["organisation_verified"]
    assert sent.events[0]["payload"]["revision"] == stored["revision"]
    store.change("organisations", "org_1", lambda d: d, events, sent)  # no change: no event
    assert len(sent.events) == 1


class Commands(monitoring.CommandListener):
    """The names of the commands a client sends, in order."""

    def __init__(self):
        self.names: list[str] = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_publishing_right_after_a_write_reads_nothing_back(store, mongo_uri):
    commands = Commands()
    with MongoClient(mongo_uri, event_listeners=[commands]) as client:
        watched = Things(client[store.db.name])
        sent = Sent()
        watched.add("organisations", {"_id": "org_1", **ORG}, ["organisation_registered"], sent)
        assert commands.names == ["insert", "update"]  # the write, then clearing its outbox
        commands.names.clear()
        watched.change("organisations", "org_1", lambda d: {**d, "n": 1}, [], sent)
        assert commands.names == ["find", "update"]  # no event: nothing to clear
        commands.names.clear()
        watched.change(
            "organisations", "org_1", lambda d: {**d, "n": 2}, ["organisation_updated"], sent
        )
        assert commands.names == ["find", "update", "update"]
    assert [e["type"] for e in sent.events] == ["organisation_registered", "organisation_updated"]
    held = store.db.organisations.find_one({"_id": "org_1"})
    assert held[OUTBOX] == [] and not held[PENDING] and held["n"] == 2


def test_change_of_a_missing_document_is_not_found(store):
    with pytest.raises(NotFound) as found:
        store.change("organisations", "org_x", lambda d: d)
    assert found.value.details == {"id": "org_x"}


def test_concurrent_changes_lose_no_update(store):
    store.insert("organisations", {"_id": "org_1", **ORG, "count": 0})

    def bump_many():
        for _ in range(10):
            store.change("organisations", "org_1", lambda d: {**d, "count": d["count"] + 1})

    workers = [threading.Thread(target=bump_many) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert store.db.organisations.find_one({"_id": "org_1"})["count"] == 30


def test_an_event_is_parked_once_with_its_reason(store):
    event = {"event_id": "e-1", "type": "need_posted", "payload": "junk"}
    store.park(event, {"payload": ["not an object"]}, "on_need_posted")
    store.park(event, {"payload": ["not an object"]}, "on_need_posted")  # redelivered
    [parked] = store.parked()
    assert parked["_id"] == "on_need_posted:e-1" and parked["reason"]["payload"]


def test_parked_events_expire_after_30_days(store):
    """A TTL index on the date parked: MongoDB's monitor removes an expired event within a
    minute, NX-27017 before it answers a read of the collection."""
    [ttl] = [i for i in store.db.parked_events.list_indexes() if "parked_on" in i["key"]]
    assert ttl["expireAfterSeconds"] == 30 * 24 * 3600
    for n, age in ((1, 31), (2, 29)):
        store.park({"event_id": f"e-{n}"}, "unreadable", "on_need_posted")
        doc = store.db.parked_events.find_one({"_id": f"on_need_posted:e-{n}"})
        aged = {**doc, "parked_on": doc["parked_on"] - timedelta(days=age)}
        store.db.parked_events.replace_one({"_id": doc["_id"]}, aged)
    left = eventually(store.parked, lambda parked: len(parked) == 1, timeout=90, interval=2)
    assert [p["_id"] for p in left] == ["on_need_posted:e-2"]
    assert "parked_on" not in left[0]  # a date: the listing, sent as JSON, keeps parked_at


def test_events_parked_before_the_ttl_index_get_their_date(store):
    yesterday, long_ago = utcnow() - timedelta(days=1), utcnow() - timedelta(days=40)
    store.db.parked_events.insert_many(
        [
            {"_id": "h:e-1", "parked_at": iso(yesterday)},
            {"_id": "h:e-2", "parked_at": iso(long_ago)},
        ]
    )
    store.ensure_indexes()
    held = eventually(store.parked, lambda parked: len(parked) == 1, timeout=90, interval=2)
    assert [p["_id"] for p in held] == ["h:e-1"]  # the one of 40 days ago is gone
    dated = store.db.parked_events.find_one({"_id": "h:e-1"})["parked_on"]
    assert dated.replace(tzinfo=UTC) == yesterday


def test_first_time_tells_a_redelivery(store):
    assert store.first_time("evt-1") is True
    assert store.first_time("evt-1") is False


def test_pages_follow_the_cursor_to_the_end(store):
    for n in range(5):
        store.insert("organisations", {"_id": f"org_{n}", **ORG})
    seen, cursor = [], None
    while True:
        docs, cursor = store.find_page("organisations", {}, 2, cursor)
        seen += [d["_id"] for d in docs]
        if cursor is None:
            break
    assert seen == [f"org_{n}" for n in range(5)]
    assert store.count_by("organisations", "status", ("pending", "verified")) == {
        "pending": 5,
        "verified": 0,
    }


def test_erasure_leaves_parked_events_mentioning_it_their_envelope_and_the_id(store):
    by_id = envelope("offer_pledged", {"organisation_id": "org_1"})
    by_name = envelope("match_proposed", {"organisation_id": "org_2"})
    other = envelope("need_posted", {"title": "Drošā"})  # "Drošā" alone is not the name
    store.park(by_id, "unreadable", "on_offer_pledged")
    store.park(by_name, {"payload": ["DROŠĀ MĀJA is not a known field"]}, "on_match_proposed")
    store.park(other, "unreadable", "on_need_posted")
    store.park("info@drosa.lv wrote this", "not an envelope", "on_x")  # no shape at all

    words = ("Drošā māja", "info@drosa.lv", "ab", None)  # "ab": too short to look for
    assert store.forget_parked("org_1", words) == 3
    kept = {d["handler"]: d for d in store.db.parked_events.find({})}
    for handler, event in (("on_offer_pledged", by_id), ("on_match_proposed", by_name)):
        assert kept[handler]["event"] == {
            **{k: event[k] for k in ("event_id", "type", "occurred_at", "producer")},
            "schema_version": event["schema_version"],
            "payload": {"organisation_id": "org_1"},
        }
        assert kept[handler]["reason"] == {"erased": ERASED_REASON}
    assert kept["on_x"]["event"] == {"payload": {"organisation_id": "org_1"}}
    assert kept["on_need_posted"]["event"] == other  # it named nobody erased
    store.forget_parked("org_1", words)  # a redelivered erasure changes nothing
    assert {d["handler"]: d for d in store.db.parked_events.find({})} == kept
