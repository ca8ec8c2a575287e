"""Capacity that renews: period boundaries in Riga time, across DST, and what comes back."""

from datetime import UTC, datetime, timedelta

import pytest

from pledges import renewal, rules, views
from tilts_contracts.clock import iso
from tilts_contracts.errors import Invalid
from tilts_contracts.schemas.common import load
from tilts_contracts.schemas.offers import OfferEdit, OfferIn


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "renews", "start"),
    [
        # Riga winter (EET, UTC+2): a week begins Sunday 22:00 UTC
        (utc(2026, 12, 4, 15, 0), "weekly", utc(2026, 11, 29, 22, 0)),
        (utc(2026, 12, 6, 21, 59, 59), "weekly", utc(2026, 11, 29, 22, 0)),
        (utc(2026, 12, 6, 22, 0), "weekly", utc(2026, 12, 6, 22, 0)),
        # the week clocks go forward (Sunday 28 March 2027, 03:00 -> 04:00) began in
        # winter time; the next one begins in summer time (EEST, UTC+3)
        (utc(2027, 3, 28, 20, 59, 59), "weekly", utc(2027, 3, 21, 22, 0)),
        (utc(2027, 3, 28, 21, 0), "weekly", utc(2027, 3, 28, 21, 0)),
        # the week clocks go back (Sunday 25 October 2026) began in summer time
        (utc(2026, 10, 25, 21, 59, 59), "weekly", utc(2026, 10, 18, 21, 0)),
        (utc(2026, 10, 25, 22, 0), "weekly", utc(2026, 10, 25, 22, 0)),
        # months: October began in summer time, November in winter time
        (utc(2026, 10, 31, 21, 59, 59), "monthly", utc(2026, 9, 30, 21, 0)),
        (utc(2026, 10, 31, 22, 0), "monthly", utc(2026, 10, 31, 22, 0)),
        (utc(2027, 3, 31, 21, 0), "monthly", utc(2027, 3, 31, 21, 0)),
        (utc(2027, 3, 31, 20, 59), "monthly", utc(2027, 2, 28, 22, 0)),
    ],
)
def test_a_period_begins_at_midnight_riga_time_whatever_the_season(moment, renews, start):
    assert renewal.period_start(moment, renews) == start


FRIDAY = utc(2026, 12, 4, 15, 0)  # Riga 17:00
MONDAY = utc(2026, 12, 7, 7, 0)  # Riga 09:00, the next week


def weekly_offer(capacity=3, **fields):
    offer = rules.pledge_offer(
        {"capacity": capacity, "domain": "legal", "renews": "weekly", **fields}, "off_1", FRIDAY
    )
    return renewal.scheduled(offer, FRIDAY)


def match(status, quantity, at=FRIDAY):
    return {"status": status, "quantity": quantity, "updated_at": iso(at)}


def test_a_new_weekly_offer_counts_in_this_week_and_is_not_due_until_monday():
    offer = weekly_offer()
    assert offer["period_start"] == "2026-11-29T22:00:00Z"
    assert renewal.due(offer, FRIDAY + timedelta(days=2)) is None  # Sunday 19:00 Riga
    assert renewal.due(offer, MONDAY) == "2026-12-06T22:00:00Z"


def test_on_monday_an_exhausted_offer_gets_back_all_but_what_is_still_owed():
    friday = [match("fulfilled", 1), match("accepted", 1), match("declined", 1)]
    offer = rules.apply_allocation(weekly_offer(capacity=2), 2)
    assert offer["status"] == "exhausted"
    renewed = renewal.renew(offer, friday, MONDAY)
    # delivered last week is spent; accepted and not delivered still holds one
    assert renewed["remaining"] == 1 and renewed["allocated"] == 1
    assert renewed["status"] == "active"
    assert renewed["renewed_at"] == renewed["period_start"] == "2026-12-06T22:00:00Z"
    # a renewal found late still counts help delivered in the new week
    later = [*friday, match("fulfilled", 1, at=MONDAY - timedelta(hours=1))]
    assert renewal.renew(offer, later, MONDAY)["remaining"] == 0


def test_an_offer_renews_once_a_period_and_only_while_it_stands():
    renewed = renewal.renew(weekly_offer(), [], MONDAY)
    assert renewal.renew(renewed, [], MONDAY + timedelta(days=3)) is None
    assert renewal.renew(renewed, [], MONDAY + timedelta(days=7))["renewed_at"] == (
        "2026-12-13T22:00:00Z"
    )
    withdrawn = {**weekly_offer(), "status": "withdrawn"}
    assert renewal.renew(withdrawn, [], MONDAY) is None
    once = rules.pledge_offer({"capacity": 3, "domain": "legal"}, "off_2", FRIDAY)
    assert renewal.renew(renewal.scheduled(once, FRIDAY), [], MONDAY) is None


def test_switching_to_monthly_counts_from_this_month():
    switched = renewal.scheduled({**weekly_offer(), "renews": "monthly"}, FRIDAY)
    assert switched["period_start"] == "2026-11-30T22:00:00Z"  # 1 December, Riga
    assert renewal.scheduled({**weekly_offer(), "renews": None}, FRIDAY)["period_start"] is None


def test_counts_made_before_the_renewal_do_not_undo_it():
    renewed = renewal.renew(weekly_offer(), [], MONDAY)
    assert renewal.counted_before(renewed, {"offer_renewed_at": None})
    assert renewal.counted_before(renewed, {"offer_renewed_at": "2026-11-29T22:00:00Z"})
    assert not renewal.counted_before(renewed, {"offer_renewed_at": renewed["renewed_at"]})
    assert not renewal.counted_before(weekly_offer(), {})


@pytest.mark.parametrize("bad", ["daily", "", 7, ["weekly"]])
def test_an_unknown_renewal_is_refused_naming_the_field(bad):
    body = {
        "organisation_id": "org_0123456789ab",
        "domain": "legal",
        "title": "Konsultācijas",
        "capacity": 3,
        "regions": ["riga"],
        "renews": bad,
    }
    with pytest.raises(Invalid) as refused:
        load(OfferIn(), body)
    assert list(refused.value.details) == ["renews"]
    assert load(OfferEdit(), {"renews": "monthly"}, partial=True) == {"renews": "monthly"}
    assert load(OfferEdit(), {"renews": None}, partial=True) == {"renews": None}


def test_the_wall_and_the_commitment_document_say_how_often_capacity_renews():
    offer = {**weekly_offer(), "public": True, "regions": ["riga"]}
    [legal] = [d for d in views.wall([offer], FRIDAY.date()) if d["domain"] == "legal"]
    assert legal["offers"][0]["renews"] == "weekly"
    [legal] = [d for d in views.commitments([offer], {}, FRIDAY.date()) if d["domain"] == "legal"]
    assert legal["commitments"][0]["renews"] == "weekly"
