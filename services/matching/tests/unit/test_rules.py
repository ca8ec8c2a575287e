"""Matching rules without a broker: eligibility, ranking, deadlines, transitions."""

from datetime import UTC, date, datetime, timedelta

import pytest

from matching import rules
from tilts_contracts.errors import Conflict, Forbidden, Invalid

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def offer(**fields):
    return {
        "_id": fields.pop("_id", "off_1"),
        "organisation_id": fields.pop("org", "org_1"),
        "domain": "legal",
        "status": "active",
        "org_status": "verified",
        "remaining": 3,
        "regions": ["riga"],
        "languages": ["lv", "ru"],
        **fields,
    }


NEED = {
    "_id": "need_1",
    "domain": "legal",
    "region": "riga",
    "languages": ["ru"],
    "quantity": 2,
    "urgency": "high",
    "needed_by": "2026-12-01",
}


@pytest.mark.parametrize(
    "change, eligible",
    [
        ({}, True),
        ({"org_status": "pending"}, False),
        ({"status": "withdrawn"}, False),
        ({"status": "paused"}, False),
        ({"domain": "health"}, False),
        ({"remaining": 0}, False),
        ({"regions": ["latgale"]}, False),
        ({"regions": ["nationwide"]}, True),
        ({"languages": ["lv"]}, False),
        ({"available_from": "2026-12-02"}, False),
        ({"available_until": "2026-11-30"}, False),
        ({"available_from": "2026-11-01", "available_until": "2026-12-31"}, True),
    ],
)
def test_the_matching_rules(change, eligible):
    assert rules.is_candidate(offer(**change), NEED, TODAY) is eligible


def test_a_pause_and_a_resume_reach_the_held_offer_its_proposals_standing():
    held = {**offer(), "capacity": 3, "revision": 1}
    sent = {"id": "off_1", "capacity": 3, "remaining": 3, "forced": False}
    paused = rules.edited_offer(held, {**sent, "status": "paused", "revision": 2})
    assert paused["status"] == "paused" and not rules.has_free(paused)
    assert rules.still_stands({**NEED, "status": "open"}, paused, TODAY)
    # pledges says "exhausted" or "active" on resume: matching counts free capacity itself
    resumed = rules.edited_offer(paused, {**sent, "status": "exhausted", "revision": 3})
    assert resumed["status"] == "active" and rules.has_free(resumed)
    # a later edit of an active offer leaves its status as it was
    assert rules.edited_offer(resumed, {**sent, "status": "active", "revision": 4})["status"] == (
        "active"
    )


def test_ranking_prefers_region_then_language_then_answers_and_fairness():
    local = offer(_id="off_local", org="org_a")
    nationwide = offer(_id="off_far", org="org_b", regions=["nationwide"])
    busy = offer(_id="off_busy", org="org_c")
    stats = {"org_c": {"recent": 4, "asked": 4}}
    ranked = rules.rank([nationwide, busy, local], NEED, 2, stats, set(), TODAY)
    assert [c.offer["_id"] for c in ranked] == ["off_local", "off_busy", "off_far"]
    assert ranked[0].breakdown["region"] == 1.0 and ranked[2].breakdown["region"] == 0.5


def test_an_organisation_already_asked_is_left_out():
    ranked = rules.rank([offer(org="org_a")], NEED, 2, {}, {"org_a"}, TODAY)
    assert ranked == []


def test_responsiveness_rewards_accepting_and_punishes_silence():
    good = rules.score(offer(), NEED, 2, {"asked": 4, "accepted": 4}).breakdown
    silent = rules.score(offer(), NEED, 2, {"asked": 4, "expired": 4}).breakdown
    assert good["responsiveness"] > 0.5 > silent["responsiveness"]


def test_quick_answers_score_higher_than_slow_ones():
    quick = rules.score(offer(), NEED, 2, {"asked": 2, "accepted": 2, "answer_hours": 1})
    slow = rules.score(offer(), NEED, 2, {"asked": 2, "accepted": 2, "answer_hours": 48})
    assert quick.breakdown["responsiveness"] > slow.breakdown["responsiveness"]


def test_deadlines_follow_urgency_and_config():
    assert rules.respond_by("critical", NOW).hour == 16
    assert (rules.respond_by("low", NOW) - NOW).days == 7
    hours = rules.parse_respond_hours("critical=1,normal=48")
    assert hours["critical"] == 1 and hours["high"] == 24 and hours["normal"] == 48
    with pytest.raises(ValueError):
        rules.parse_respond_hours("urgent=1")


def test_answers_move_a_match_once_and_only_for_its_organisation():
    match = {"_id": "mat_1", "organisation_id": "org_a", "status": "proposed", "quantity": 3}
    accepted = rules.answer(match, "accept", NOW, "org_a")
    assert accepted["status"] == "accepted"
    with pytest.raises(Conflict):
        rules.answer(accepted, "decline", NOW)
    with pytest.raises(Forbidden):
        rules.answer(match, "accept", NOW, "org_b")
    assert rules.answer(accepted, "fulfil", NOW)["status"] == "fulfilled"
    assert rules.releases("declined") and not rules.releases("accepted")


def test_a_decline_keeps_its_reason_and_a_fulfilment_what_was_delivered():
    match = {"_id": "mat_1", "organisation_id": "org_a", "status": "proposed", "quantity": 3}
    said = {"reason": "no_capacity", "note": "Pilns līdz decembrim"}
    declined = rules.answer(match, "decline", NOW, "org_a", said)
    assert (declined["decline_reason"], declined["decline_note"]) == (
        "no_capacity",
        "Pilns līdz decembrim",
    )
    accepted = rules.answer(match, "accept", NOW)
    assert rules.answer(accepted, "fulfil", NOW)["delivered"] == 3  # all, unless said
    assert rules.answer(accepted, "fulfil", NOW, said={"quantity": 2})["delivered"] == 2
    with pytest.raises(Invalid) as too_much:
        rules.answer(accepted, "fulfil", NOW, said={"quantity": 4})
    assert too_much.value.details == {"quantity": ["at most 3"]}


def test_the_answer_is_due_before_the_day_the_help_is_needed():
    low = rules.respond_by("low", NOW, None, needed_by="2026-11-26")
    assert low == datetime(2026, 11, 26, tzinfo=UTC)  # not 7 days, past the day itself
    tomorrow_morning = rules.respond_by("normal", NOW, None, needed_by="2026-11-25")
    assert tomorrow_morning == datetime(2026, 11, 25, tzinfo=UTC)
    today = rules.respond_by("low", NOW, None, needed_by="2026-11-24")
    assert today == NOW + timedelta(hours=4)  # never less than the critical window
    far = rules.respond_by("high", NOW, None, needed_by="2027-01-01")
    assert far == NOW + timedelta(hours=24)


def test_only_those_who_hold_a_part_or_said_no_are_not_asked_again():
    matches = [
        {"organisation_id": status, "status": status}
        for status in ("proposed", "accepted", "fulfilled", "declined", "expired", "cancelled")
    ]
    assert rules.not_to_ask(matches) == {
        "proposed",
        "accepted",
        "fulfilled",
        "declined",
        "expired",
    }  # a cancellation by the system (a forced cut, an edited need) counts against no one
