"""Registry domain rules, no broker or database."""

from datetime import UTC, datetime

import pytest

from registry import rules
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.events import envelope
from tilts_runtime.store import OUTBOX

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "a, b",
    [
        ('Biedrība "Drošā māja"', "drosa maja"),
        ("Latvijas Samariešu apvienība", "LATVIJAS SAMARIESU APVIENIBA"),
        ("Nodibinājums „Dzīvības koks”", "dzivibas koks"),
        ("SIA Palīgs", "palīgs"),
    ],
)
def test_names_that_differ_only_in_form_are_the_same(a, b):
    assert rules.name_key(a) == rules.name_key(b)


def test_different_organisations_keep_different_keys():
    assert rules.name_key("Drošā māja") != rules.name_key("Dzīvības koks")


def registered():
    data = {"name": "Drošā māja", "email": "Info@DrosaMaja.lv", "kind": "ngo"}
    return rules.register(data, "org_0123456789abcdef", NOW)


def test_a_new_organisation_is_pending_until_verified():
    org = registered()
    assert org["status"] == "pending" and org["email_key"] == "info@drosamaja.lv"
    verified = rules.verify(org, "coordinator-1", NOW)
    assert verified["status"] == "verified"
    assert verified["history"][-1] == {
        "at": "2026-11-24T12:00:00Z",
        "action": "verified",
        "by": "coordinator-1",
    }


def test_verifying_twice_is_a_conflict():
    org = rules.verify(registered(), "c", NOW)
    with pytest.raises(Conflict):
        rules.verify(org, "c", NOW)


def test_a_suspended_organisation_can_be_verified_again():
    org = rules.suspend(rules.verify(registered(), "c", NOW), "c", NOW, reason="audit")
    assert org["status"] == "suspended"
    assert rules.verify(org, "c", NOW)["status"] == "verified"


@pytest.mark.parametrize(
    "a, b",
    [
        ('Biedrības "Drošā māja"', "Drošā māja"),
        ("NVO Drošā māja", "Drošā māja"),
        ("Drošā māja foundation", "Drošā māja"),
        ("Nodibinājuma „Dzīvības koks”", "Dzīvības koks"),
        ("Palīgs SIA", "SIA Palīgs"),
        ("AS Latvijas Gāze", "Latvijas Gāze"),
        ("Drošā māja, b-ba", 'Biedrība "Drošā māja"'),
        ('B-bas "Drošā māja" valde', "Drošā māja valde"),
        ("Dro\u00adšā māja\u200f", "Drošā māja"),  # a soft hyphen, a direction mark
    ],
)
def test_more_legal_forms_are_the_same_organisation(a, b):
    assert rules.name_key(a) == rules.name_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("Nodarbinātības valsts aģentūra", "Nodarbinātības biedrība"),
        ("Valsts probācijas dienests", "Probācijas dienests"),
        ("Help as you can", "Help you can"),  # "as" inside a name is a word
        ("Latvian Samaritan Association", "Latvian Samaritan"),
        ("BB-BA sports", "sports"),  # no hyphenated form unless it stands alone
    ],
)
def test_words_that_are_no_legal_form_keep_organisations_apart(a, b):
    assert rules.name_key(a) != rules.name_key(b)


def test_search_key_is_the_words_without_punctuation():
    assert rules.search_key('Biedrība  "Drošā-māja" ') == "biedriba drosa maja"
    assert rules.search_key("\u200fDro\u00adšā\u200e māja") == "drosa maja"


def test_a_name_without_letters_or_digits_is_refused():
    with pytest.raises(Invalid) as caught:
        rules.register({"name": "!!!", "email": "a@x.org"}, "org_0123456789abcdef", NOW)
    assert "name" in caught.value.details


def test_an_edit_that_changes_nothing_leaves_no_trace():
    org = registered()
    assert rules.update(org, {"name": "Drošā māja"}, "c", NOW) is org
    assert rules.update(org, {}, "c", NOW) is org


def test_the_trail_shows_old_and_new_values_but_not_personal_ones():
    org = {**registered(), "regions": ["riga"], "phone": "+371 26 000 000"}
    edited = rules.update(org, {"regions": ["latgale"], "phone": "+371 26 111 111"}, "c", NOW)
    entry = edited["history"][-1]
    assert entry["fields"] == ["phone", "regions"]
    assert entry["changes"] == {"regions": {"from": ["riga"], "to": ["latgale"]}}
    assert "26 111 111" not in str(entry)


def test_erasure_forgets_the_reasons_a_coordinator_wrote():
    org = rules.suspend(registered(), "c", NOW, reason="Jānis Ozoliņš neatbild")
    erased = rules.erase(org, "c", NOW)
    assert "Ozoliņš" not in str(erased["history"])
    assert [h["action"] for h in erased["history"]] == ["registered", "suspended", "erased"]


def test_erasure_names_the_organisation_itself_by_id_in_the_trail():
    org = rules.update(registered(), {"regions": ["riga"]}, "info@drosamaja.lv", NOW)
    erased = rules.erase(org, "INFO@drosamaja.lv", NOW)
    assert [h["by"] for h in erased["history"][1:]] == ["organisation:org_0123456789abcdef"] * 2
    kept = rules.erase(rules.verify(registered(), "anna@koordinatori.lv", NOW), "admin", NOW)
    assert [h["by"] for h in kept["history"][1:]] == ["anna@koordinatori.lv", "admin"]


def test_events_not_yet_published_go_out_without_the_name_or_contacts():
    waiting = envelope("organisation_registered", {**registered(), "id": "org_0123456789abcdef"})
    org = {**registered(), OUTBOX: [waiting]}
    [event] = rules.erase(org, "admin", NOW)[OUTBOX]
    assert event["event_id"] == waiting["event_id"]
    assert event["payload"]["name"] == rules.ANONYMOUS and event["payload"]["email"] is None
    assert "rosa" not in str(event)  # Drošā, DrosaMaja


def test_nothing_brings_an_erased_organisation_back_or_changes_it():
    erased = rules.erase(rules.verify(registered(), "c", NOW), "admin", NOW)
    with pytest.raises(Conflict):
        rules.suspend(erased, "c", NOW)
    with pytest.raises(Conflict):
        rules.verify({**erased, "status": "suspended"}, "c", NOW)  # as an older bug left it
    with pytest.raises(Conflict):
        rules.update(erased, {"name": "Atkal te"}, "organisation", NOW)


def test_public_pages_never_get_a_private_persons_name_or_website():
    person = {
        "_id": "org_1",
        "kind": "individual",
        "name": "Jānis Ozoliņš",
        "website": "https://janis.example.lv",
        "email": "janis@example.lv",
        "status": "verified",
    }
    shown = rules.public_profile(person)
    assert shown == {
        "name": "",
        "website": None,
        "status": "verified",
        "anonymous": False,
        "private": True,
    }
    ngo = rules.public_profile({**person, "kind": "ngo", "name": "Biedrība"})
    assert (ngo["name"], ngo["website"], ngo["private"]) == (
        "Biedrība",
        "https://janis.example.lv",
        False,
    )


def test_a_verified_organisations_own_change_of_name_email_or_website_waits_for_review():
    org = rules.verify(registered(), "coord", NOW)
    asked = {"name": "Drošā māja Rīgā", "email": "new@x.lv", "phone": "+371 1", "regions": ["riga"]}
    changed = rules.update(org, asked, "org:me", NOW, review=True)
    # the public keeps the verified name and address; the rest applies at once
    assert (changed["name"], changed["email"]) == (org["name"], org["email"])
    assert changed["name_key"] == org["name_key"] and changed["email_key"] == org["email_key"]
    assert (changed["phone"], changed["regions"]) == ("+371 1", ["riga"])
    assert changed["pending_changes"] == {"name": "Drošā māja Rīgā", "email": "new@x.lv"}
    assert changed["status"] == "verified"
    assert changed["history"][-2]["action"] == "change_requested"
    # asking for the verified value again takes the waiting change back
    back = rules.update(changed, {"email": org["email"]}, "org:me", NOW, review=True)
    assert back["pending_changes"] == {"name": "Drošā māja Rīgā"}
    # a coordinator's verify applies what waits, and nothing waits after
    again = rules.verify(changed, "coord", NOW)
    assert (again["name"], again["email"], again["email_key"]) == (
        "Drošā māja Rīgā",
        "new@x.lv",
        "new@x.lv",
    )
    assert again["name_key"] == rules.name_key("Drošā māja Rīgā")
    assert again["pending_changes"] == {} and again["status"] == "verified"
    with pytest.raises(Conflict):  # nothing waiting: verifying twice is still a conflict
        rules.verify(again, "coord", NOW)


def test_changes_by_staff_or_before_verification_apply_at_once():
    pending = rules.update(registered(), {"name": "Cits vārds"}, "org:me", NOW, review=True)
    assert pending["name"] == "Cits vārds" and not pending.get("pending_changes")
    org = rules.verify(registered(), "coord", NOW)
    by_staff = rules.update(org, {"website": "https://x.lv"}, "coord", NOW)
    assert by_staff["website"] == "https://x.lv" and not by_staff.get("pending_changes")
    waiting = rules.update(org, {"website": "https://y.lv"}, "org:me", NOW, review=True)
    assert rules.erase(waiting, "admin", NOW)["pending_changes"] == {}


def test_a_name_waiting_for_review_is_checked_when_asked_not_at_verify():
    # held unchecked, it would make every later verify of the organisation a 400
    org = rules.verify(registered(), "coord", NOW)
    with pytest.raises(Invalid) as caught:
        rules.update(org, {"name": "!!!"}, "org:me", NOW, review=True)
    assert "name" in caught.value.details


def test_a_contact_is_added_once_removed_by_its_address_and_five_at_most():
    two = ["Anna@example.org", "jan@example.org"]
    assert rules.edited_contacts(two, add=" eva@example.org") == [*two, "eva@example.org"]
    assert rules.edited_contacts(two, add="ANNA@example.org") == two  # a second click
    assert rules.edited_contacts(two, remove="anna@EXAMPLE.org ") == ["jan@example.org"]
    assert rules.edited_contacts(two, remove="nobody@example.org") == two
    five = [f"c{n}@example.org" for n in range(5)]
    with pytest.raises(Invalid) as caught:
        rules.edited_contacts(five, add="sixth@example.org")
    assert caught.value.details == {"contacts": ["full"]}
    assert rules.edited_contacts(five, add="C4@example.org") == five  # present: no refusal
