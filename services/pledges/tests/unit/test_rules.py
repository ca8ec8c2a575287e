"""Pledges rules without a broker: capacity, need status, the date check."""

from datetime import UTC, date, datetime

import pytest

from pledges import retention, rules
from tilts_contracts.errors import Conflict, Forbidden, Invalid
from tilts_contracts.schemas.common import load
from tilts_contracts.schemas.needs import NeedIn

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_schema_errors_the_guard_and_the_date_check_are_named_together():
    raw = {
        "domain": "social",
        "title": "Gultas",
        "region": "riga",
        "quantity": 0,
        "description": "zvanīt 29123456",
        "needed_by": "2020-01-01",
    }
    with pytest.raises(Invalid) as schema:
        load(NeedIn(), raw)
    merged = rules.with_problems(schema.value, rules.need_problems(raw, date(2026, 11, 24)))
    assert set(merged.details) == {"quantity", "description", "needed_by"}
    assert merged.details["needed_by"] == ["is in the past"]
    assert "description" in merged.message and "quantity" in merged.message
    # a field of the wrong type, or no date at all, is the schema's to report
    assert rules.need_problems({"title": 5, "needed_by": "2020-13-01"}, date(2026, 11, 24)) == {}


def offer(**fields):
    return rules.pledge_offer({"capacity": 5, "domain": "social", **fields}, "off_1", NOW)


def test_capacity_may_not_drop_below_what_is_reserved_unless_forced():
    held = rules.apply_allocation(offer(), 3)  # matching holds 3 of 5
    assert held["remaining"] == 2
    with pytest.raises(Conflict):
        rules.edit_offer(held, {"capacity": 2}, NOW)
    forced = rules.edit_offer(held, {"capacity": 2}, NOW, force=True)
    # never shown below zero while matching cancels the proposals over the new capacity
    assert forced["remaining"] == 0 and forced["status"] == "exhausted"
    raised = rules.edit_offer(held, {"capacity": 8}, NOW)
    assert raised["remaining"] == 5 and raised["status"] == "active"


def test_not_even_force_cuts_capacity_below_what_was_accepted():
    held = rules.apply_allocation(offer(), 3)
    with pytest.raises(Conflict) as refused:
        rules.edit_offer(held, {"capacity": 1}, NOW, force=True, committed=2)
    assert refused.value.details == {"capacity": ["at least 2 (accepted)"]}
    cut = rules.edit_offer(held, {"capacity": 2}, NOW, force=True, committed=2)
    assert cut["capacity"] == 2 and cut["remaining"] == 0


def test_free_capacity_follows_the_allocation_whatever_capacity_matching_last_saw():
    # capacity raised 2 -> 5 while a proposal of 1 was on its way: matching's event says
    # 1 is allocated, so 4 are free, not the 1 that an absolute "remaining" would claim
    raised = rules.edit_offer(offer(capacity=2), {"capacity": 5}, NOW)
    assert rules.apply_allocation(raised, 1)["remaining"] == 4


def test_withdrawing_a_reserved_offer_needs_force_and_happens_once():
    held = rules.apply_allocation(offer(), 1)
    with pytest.raises(Conflict):
        rules.withdraw_offer(held, NOW)
    gone = rules.withdraw_offer(held, NOW, force=True)
    with pytest.raises(Conflict):
        rules.withdraw_offer(gone, NOW, force=True)


def test_a_paused_offer_keeps_its_counts_and_resumes_as_its_capacity_says():
    held = rules.apply_allocation(offer(), 2)
    paused = rules.pause_offer(held, NOW)
    assert paused["status"] == "paused" and paused["remaining"] == 3
    # matching's counts and an edit while paused leave it paused
    assert rules.apply_allocation(paused, 5)["status"] == "paused"
    assert rules.edit_offer(paused, {"capacity": 7}, NOW)["status"] == "paused"
    with pytest.raises(Conflict):
        rules.pause_offer(paused, NOW)
    assert rules.resume_offer(paused, NOW)["status"] == "active"
    full = rules.pause_offer(rules.apply_allocation(offer(), 5), NOW)
    assert rules.resume_offer(full, NOW)["status"] == "exhausted"
    with pytest.raises(Conflict):
        rules.resume_offer(held, NOW)
    with pytest.raises(Conflict):
        rules.pause_offer(rules.withdraw_offer(held, NOW, force=True), NOW)


def test_an_offer_period_is_checked_on_edit():
    with pytest.raises(Invalid):
        rules.edit_offer(offer(available_from="2026-12-01"), {"available_until": "2026-11-30"}, NOW)


def test_a_need_in_the_past_is_refused():
    with pytest.raises(Invalid) as caught:
        rules.post_need(
            {"title": "Gultas", "needed_by": "2026-11-23"}, "need_1", NOW, date(2026, 11, 24)
        )
    assert "needed_by" in caught.value.details


def need(status="open", quantity=5):
    return {"_id": "need_1", "status": status, "quantity": quantity}


def m(status, quantity):
    return {"status": status, "quantity": quantity}


def test_a_need_is_matched_once_accepted_matches_cover_it():
    assert rules.need_status(need(), [m("accepted", 3), m("proposed", 2)], False) == "open"
    assert rules.need_status(need(), [m("accepted", 3), m("accepted", 2)], False) == "matched"
    assert rules.need_status(need(), [m("fulfilled", 3), m("fulfilled", 2)], False) == "fulfilled"
    assert rules.need_status(need(), [m("declined", 5)], True) == "unmatched"
    assert rules.need_status(need(), [m("proposed", 5)], True) == "open"
    assert rules.need_status(need("cancelled"), [m("accepted", 5)], False) == "cancelled"


def test_a_need_ends_when_fulfilled_cancelled_or_unmatched_and_no_longer_when_back():
    later = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    ended = rules.with_status(need(), "unmatched", NOW)
    assert ended["ended_at"] == "2026-11-24T12:00:00Z"
    assert rules.with_status(ended, "unmatched", later) is ended  # still, since then
    assert rules.with_status(ended, "cancelled", later)["ended_at"] == "2026-11-25T08:00:00Z"
    back = rules.with_status(ended, "open", later)
    assert back["ended_at"] is None
    assert rules.with_status(back, "fulfilled", later)["ended_at"] == "2026-11-25T08:00:00Z"
    assert rules.cancel_need(need(), NOW)["ended_at"] == "2026-11-24T12:00:00Z"


def test_only_an_ended_needs_text_outlives_its_retention():
    cutoff = "2026-06-01T00:00:00Z"
    old = {**need("cancelled"), "ended_at": "2026-05-31T23:59:59Z", "updated_at": NOW}
    assert rules.text_outlived(old, cutoff)
    assert not rules.text_outlived({**old, "status": "matched"}, cutoff)
    assert not rules.text_outlived({**old, "ended_at": "2026-06-01T00:00:01Z"}, cutoff)
    # ended before needs carried ended_at: its last change counts
    assert rules.text_outlived({**need("fulfilled"), "updated_at": "2026-05-01T00:00:00Z"}, cutoff)
    forgotten = rules.forget_need_text({**old, "description": "x", "case_ref": "y"}, NOW)
    assert (forgotten["description"], forgotten["case_ref"]) == ("", "")
    assert not rules.text_outlived(forgotten, cutoff)


@pytest.mark.parametrize("days", ["0", "-5", "half a year", "1.5"])
def test_retention_days_must_be_a_whole_number_of_at_least_one(days):
    with pytest.raises(SystemExit, match="RETENTION_DAYS"):
        retention.days_from({"RETENTION_DAYS": days})
    assert retention.days_from({}) == 180


def test_a_lead_changes_needs_only_in_its_working_groups():
    rules.within_groups(["health"], "health")
    rules.within_groups(None, "legal")  # an admin, or a coordinator of every group
    rules.within_groups([], "legal")
    rules.within_groups(["health"], "health", None)  # a change that moves nothing
    for asked in (("legal",), ("health", "legal")):  # posted there, or moved there
        with pytest.raises(Forbidden) as refused:
            rules.within_groups(["health", "children"], *asked)
        assert list(refused.value.details) == ["domain"]
        assert "legal" in refused.value.details["domain"][0]
    legal = {**need(), "domain": "legal"}
    with pytest.raises(Forbidden):
        rules.cancel_need(legal, NOW, ["health"])
    with pytest.raises(Forbidden):
        rules.edit_need(legal, {"quantity": 2}, NOW, NOW.date(), ["health"])
    assert rules.cancel_need(legal, NOW, ["legal"])["status"] == "cancelled"
    assert rules.named_domain({"domain": "legal"}) == "legal"
    assert rules.named_domain({"domain": "cooking"}) is None  # the schema's 400
    assert rules.named_domain(["domain"]) is None
