"""What matching's copies keep once retention or erasure forgot something: pure."""

from matching import privacy, rules
from tilts_contracts.events import envelope
from tilts_runtime.store import OUTBOX

AT = "2027-06-01T00:00:00Z"
NEED = {
    "_id": "need_1",
    "title": "Gultas",
    "description": "Ģimene ar trim bērniem",
    "case_ref": "RIX-2026-0042",
    "quantity": 2,
    "status": "cancelled",
    "revision": 3,
}
CONTACT = {
    "id": "org_1",
    "name": "Anonymous organisation",
    "email": None,
    "preferred_language": "lv",
}
OFFER = {
    "_id": "off_1",
    "organisation_id": "org_1",
    "title": "Jāņa konsultācijas",
    "description": "Konsultē Jānis",
    "unit": "stundas ar Jāni",
    "capacity": 3,
    "remaining": 1,
}


def a_match() -> dict:
    match = {
        "_id": "mat_1",
        "need_id": "need_1",
        "offer_id": "off_1",
        "organisation_id": "org_1",
        "status": "accepted",
        "need": {**NEED, "id": "need_1"},
        "offer": {**OFFER, "id": "off_1"},
        "organisation": {"id": "org_1", "name": "Jānis", "email": "j@x.lv"},
    }
    waiting = envelope(
        "match_accepted", {**match, "id": "mat_1", "quantity": 1, "score": 1.0, "respond_by": AT}
    )
    return {**match, OUTBOX: [waiting]}


def test_a_need_loses_its_text_also_in_its_waiting_gap_events_once():
    gap = envelope(
        "need_unmatched", {"need": {**NEED, "id": "need_1"}, "covered": 0, "reason": "x"}
    )
    forgotten = privacy.need_forgotten({**NEED, OUTBOX: [gap]}, AT)
    assert (forgotten["description"], forgotten["case_ref"]) == ("", "")
    assert forgotten["text_forgotten_at"] == AT
    assert forgotten["title"] == "Gultas" and forgotten["quantity"] == 2  # counts stay
    [event] = forgotten[OUTBOX]
    assert (event["payload"]["need"]["description"], event["payload"]["need"]["case_ref"]) == (
        "",
        "",
    )
    assert privacy.need_forgotten(forgotten, "2027-07-01T00:00:00Z") is None  # nothing left


def test_a_match_loses_its_needs_text_and_nothing_else():
    forgotten = privacy.match_need_forgotten(a_match(), AT)
    assert forgotten["need"]["description"] == "" and forgotten["need"]["case_ref"] == ""
    assert forgotten[OUTBOX][0]["payload"]["need"]["case_ref"] == ""
    assert forgotten["organisation"]["email"] == "j@x.lv"  # erasure's business, not this
    assert privacy.match_need_forgotten(forgotten, AT) is None


def test_a_match_of_an_erased_organisation_keeps_ids_and_counts_only():
    declined = {**a_match(), "decline_note": "Mūsu juriste Anna ir atvaļinājumā"}
    assert privacy.match_forgotten(declined, CONTACT)["decline_note"] == ""
    forgotten = privacy.match_forgotten(a_match(), CONTACT)
    for copy in (forgotten, forgotten[OUTBOX][0]["payload"]):
        assert copy["organisation"] == CONTACT
        assert (copy["offer"]["title"], copy["offer"]["description"], copy["offer"]["unit"]) == (
            "—",
            "",
            "",
        )
    assert forgotten["status"] == "accepted" and forgotten["offer"]["capacity"] == 3
    assert privacy.match_forgotten(forgotten, CONTACT) is None


def test_an_erased_organisations_offer_keeps_no_text_whatever_edit_comes_late():
    offer = {**OFFER, "org_status": "erased", "revision": 2}
    assert privacy.offer_forgotten(privacy.offer_forgotten(offer)) is None
    late = {**OFFER, "id": "off_1", "revision": 3, "status": "active", "regions": ["riga"]}
    edited = rules.edited_offer(offer, late)
    assert (edited["title"], edited["description"], edited["unit"]) == ("—", "", "")
    assert edited["revision"] == 3
