"""Pledges rules without a broker: the privacy guard, capacity, need status."""

import time
from datetime import UTC, date, datetime

import pytest

from pledges import domain
from tilts_contracts.errors import Conflict, Invalid

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Zvanīt uz +371 29 123 456",
        "tālr. 29123456",
        "mob. 2912-3456",
        "fiksētais 67 123 456",
        "WhatsApp +44 7700 900123",
        "call 00 49 30 1234567",
        "personas kods 120385-12345",
        "p.k. 12038512345",
        "jaunais kods 321234-56789",
        "rakstiet anna.berzina@example.lv",
        # formats the guard once let through
        "tel. 2612-34-56",  # 4-2-2 looked like a date
        "+371 2612-34-56",
        "mob. 26.12.34.56",  # so did a dotted number
        "p.k. 120385 12345",  # a space in a personal code
        "p.k. 120385–12345",  # an en dash, as Word and Docs paste it
        "mob: 2 612 3456",
        "janis [at] inbox.lv",
        "janis(at)inbox.lv",
        "JANIS (AT) INBOX (DOT) LV",
        "tel. 2025 1234",  # year-shaped, but said to be a phone
        "tālrunis: 6712 3456",
        "zvaniet 2025-1234",
        "p.k. 010190 - 12345",  # spaces around the dash
        "320123 – 45678",
        "p.k. 010190 -12345",
        "janis at inbox dot lv",
        "Rakstiet: anna.berzina at gmail dot com",
        "janis et inbox punkts lv",
        "tel. 20261201",  # date-shaped, but said to be a phone
        "+371 20261201",
        "Summa 26 500 000, zvanīt 29123456",  # the amount goes, the phone stays
    ],
)
def test_the_guard_finds_a_person_in_text(text):
    assert "description" in domain.privacy_problems({"description": text})


@pytest.mark.parametrize(
    "text, says",
    [
        ("+37126123456", "phone number"),
        ("00371 29123456", "phone number"),
        ("32123456789", "personal identity code"),
        ("120385–12345", "personal identity code"),
        ("janis(at)inbox.lv", "email address"),
    ],
)
def test_the_guard_says_what_it_found(text, says):
    assert says in domain.privacy_problems({"case_ref": text})["case_ref"][0]


@pytest.mark.parametrize(
    "field, text",
    [
        ("case_ref", "RIX-2025-0017"),  # a year and a sequence number
        ("case_ref", "RIX 2025 0017"),
        ("case_ref", "2025-0017"),
        ("case_ref", "Lieta 2024/0017"),
        ("description", "mācību gads 2025-2026"),
        ("description", "mācību gads 2025–2026"),
        ("description", "2025./2026. mācību gads"),
        ("description", "Kopā 26 000 000 EUR"),
        ("description", "Kopā 1 000 000 000 EUR"),
        ("description", "1 200 000 €"),
        ("description", "no 2026-12-01 līdz 2026-12-24"),
        ("description", "01.12.2026.–24.12.2026."),
        ("description", "mobilitātes programma 2025 2026"),
        ("title", "Telpa 2025-2026"),
        ("description", "Brīvības iela 214-12, LV-1050, zvanīt 112"),
        ("description", "ISBN 978-9934-0-1234-5"),
        ("description", "Kontakts caur koordinatori (at the office)"),
        ("description", "Amount 26 500 000"),
        ("description", "Budžets: EUR 2 650 000 gadā"),
        ("description", "summa € 26 500 000,00"),
        ("case_ref", "20261201"),  # a compact date
        ("description", "no 20261201 līdz 20261224"),
        ("description", "Meet at the office, look at the dot com era"),
        ("description", "Gatavi dot padomu at any time, punkts 3"),
    ],
)
def test_the_guard_lets_case_refs_years_and_amounts_through(field, text):
    assert domain.privacy_problems({field: text}) == {}


def test_only_real_dates_are_set_aside():
    # 2026-12-24 is a date; 2612-34-56 and 26.12.34.56 have no month 34 and stay phones
    assert domain.privacy_problems({"description": "līdz 2026-12-24 vai 24.12.2026"}) == {}
    assert domain.privacy_problems({"description": "2612-34-56"})
    assert domain.privacy_problems({"description": "26.12.34.56"})


def test_schema_errors_and_the_guard_are_named_together():
    schema = Invalid("invalid fields: quantity", {"quantity": ["Must be at least 1."]})
    raw = {"quantity": 0, "description": "zvanīt 29123456", "needed_by": "2020-01-01"}
    merged = domain.with_problems(schema, domain.need_problems(raw, date(2026, 11, 24)))
    assert set(merged.details) == {"quantity", "description", "needed_by"}
    assert merged.details["needed_by"] == ["is in the past"]
    assert "description" in merged.message and "quantity" in merged.message
    # a field of the wrong type is the schema's to report, not the guard's
    assert domain.need_problems({"title": 5, "needed_by": "2020-13-01"}, date(2026, 11, 24)) == {}


@pytest.mark.parametrize(
    "text",
    [
        "3 ģimenes, 2 bērni, vajadzīgas 4 gultas",
        "Vajadzīgs līdz 2026-12-24, apmēram 120 stundas",
        "Tikšanās 24.11.2026 plkst. 10:00, telpa 214",
        "Ģimenei no Sīrijas vajag tulku (arābu valoda) 2 reizes nedēļā",
        "Budžets 2500 EUR, 15 konsultācijas",
    ],
)
def test_the_guard_lets_a_situation_through(text):
    assert domain.privacy_problems({"description": text, "title": text}) == {}


def offer(**fields):
    return domain.pledge_offer({"capacity": 5, "domain": "social", **fields}, "off_1", NOW)


@pytest.mark.parametrize(
    "paste",
    [
        "a" * 50_000,
        "a." * 25_000,
        "2" * 50_000,
        "2-" * 25_000,
        "26.12." * 8_000,
        "20261201 " * 5_000,
    ],
)
def test_the_guard_reads_a_long_paste_at_once(paste):
    """A 50 KB paste with no spaces (base64, a long link) used to hold the pledges service
    for minutes: each address pattern was tried from every letter to the word's end. The
    bound is a hang detector, a hundred times what the guard takes, not a timing."""
    began = time.monotonic()
    domain.privacy_problems({"description": paste, "title": paste})
    assert time.monotonic() - began < 10


def test_capacity_may_not_drop_below_what_is_reserved_unless_forced():
    held = domain.apply_allocation(offer(), 3)  # matching holds 3 of 5
    assert held["remaining"] == 2
    with pytest.raises(Conflict):
        domain.edit_offer(held, {"capacity": 2}, NOW)
    forced = domain.edit_offer(held, {"capacity": 2}, NOW, force=True)
    # never shown below zero while matching cancels the proposals over the new capacity
    assert forced["remaining"] == 0 and forced["status"] == "exhausted"
    raised = domain.edit_offer(held, {"capacity": 8}, NOW)
    assert raised["remaining"] == 5 and raised["status"] == "active"


def test_not_even_force_cuts_capacity_below_what_was_accepted():
    held = domain.apply_allocation(offer(), 3)
    with pytest.raises(Conflict) as refused:
        domain.edit_offer(held, {"capacity": 1}, NOW, force=True, committed=2)
    assert refused.value.details == {"capacity": ["at least 2 (accepted)"]}
    cut = domain.edit_offer(held, {"capacity": 2}, NOW, force=True, committed=2)
    assert cut["capacity"] == 2 and cut["remaining"] == 0


def test_free_capacity_follows_the_allocation_whatever_capacity_matching_last_saw():
    # capacity raised 2 -> 5 while a proposal of 1 was on its way: matching's event says
    # 1 is allocated, so 4 are free, not the 1 that an absolute "remaining" would claim
    raised = domain.edit_offer(offer(capacity=2), {"capacity": 5}, NOW)
    assert domain.apply_allocation(raised, 1)["remaining"] == 4


def test_withdrawing_a_reserved_offer_needs_force_and_happens_once():
    held = domain.apply_allocation(offer(), 1)
    with pytest.raises(Conflict):
        domain.withdraw_offer(held, NOW)
    gone = domain.withdraw_offer(held, NOW, force=True)
    with pytest.raises(Conflict):
        domain.withdraw_offer(gone, NOW, force=True)


def test_an_offer_period_is_checked_on_edit():
    with pytest.raises(Invalid):
        domain.edit_offer(
            offer(available_from="2026-12-01"), {"available_until": "2026-11-30"}, NOW
        )


def test_a_need_in_the_past_is_refused():
    with pytest.raises(Invalid) as caught:
        domain.post_need(
            {"title": "Gultas", "needed_by": "2026-11-23"}, "need_1", NOW, date(2026, 11, 24)
        )
    assert "needed_by" in caught.value.details


def need(status="open", quantity=5):
    return {"_id": "need_1", "status": status, "quantity": quantity}


def m(status, quantity):
    return {"status": status, "quantity": quantity}


def test_a_need_is_matched_once_accepted_matches_cover_it():
    assert domain.need_status(need(), [m("accepted", 3), m("proposed", 2)], False) == "open"
    assert domain.need_status(need(), [m("accepted", 3), m("accepted", 2)], False) == "matched"
    assert domain.need_status(need(), [m("fulfilled", 3), m("fulfilled", 2)], False) == "fulfilled"
    assert domain.need_status(need(), [m("declined", 5)], True) == "unmatched"
    assert domain.need_status(need(), [m("proposed", 5)], True) == "open"
    assert domain.need_status(need("cancelled"), [m("accepted", 5)], False) == "cancelled"
