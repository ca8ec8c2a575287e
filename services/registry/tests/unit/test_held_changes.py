"""Refusing an organisation's own change held for review, no broker or database."""

from datetime import UTC, datetime

import pytest

from registry import rules
from tilts_contracts.errors import Conflict
from tilts_contracts.events import envelope
from tilts_runtime.store import OUTBOX

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def verified() -> dict:
    data = {"name": "Drošā māja", "email": "info@drosa.lv", "website": "https://drosa.lv"}
    return rules.verify(rules.register(data, "org_1", NOW), "coord", NOW)


def test_a_rejected_change_is_dropped_and_the_verified_values_stay():
    org = verified()
    asked = {"name": "Drošā māja Rīgā", "website": "https://new.lv"}
    held = rules.update(org, asked, "organisation:org_1", NOW, review=True)
    rejected = rules.reject_changes(held, "coord", NOW, reason="Nav pamatojuma")
    assert rejected["pending_changes"] == {}
    for field in ("name", "email", "website", "name_key", "email_key", "search_key"):
        assert rejected[field] == org[field], field
    assert rejected["history"][-1] == {
        "at": "2026-12-05T09:00:00Z",
        "action": "changes_rejected",
        "by": "coord",
        "fields": ["name", "website"],
        "reason": "Nav pamatojuma",
    }
    # verifying afterwards has nothing to apply: the change is gone for good
    with pytest.raises(Conflict):
        rules.verify(rejected, "coord", NOW)


def test_nothing_held_is_a_conflict_naming_pending_changes():
    with pytest.raises(Conflict) as caught:
        rules.reject_changes(verified(), "coord", NOW)
    assert caught.value.details == {"pending_changes": ["nothing held"]}
    erased = rules.erase(verified(), "admin", NOW)
    with pytest.raises(Conflict):
        rules.reject_changes({**erased, "pending_changes": {"name": "x"}}, "coord", NOW)


def test_erasure_forgets_the_reason_of_a_rejection_not_yet_sent():
    org = verified()
    told = {**org, "id": org["_id"], "fields": ["name"], "reason": "Jānis zvanīja"}
    waiting = {**org, OUTBOX: [envelope("organisation_changes_rejected", told)]}
    [env] = rules.erase(waiting, "admin", NOW)[OUTBOX]
    assert env["payload"]["reason"] == "" and env["payload"]["email"] is None
    assert env["payload"]["fields"] == ["name"]
