"""Registry domain rules, no broker or database."""

from datetime import UTC, datetime

import pytest

from registry import domain
from tilts_contracts.errors import Conflict, Invalid

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
    assert domain.name_key(a) == domain.name_key(b)


def test_different_organisations_keep_different_keys():
    assert domain.name_key("Drošā māja") != domain.name_key("Dzīvības koks")


def registered():
    data = {"name": "Drošā māja", "email": "Info@DrosaMaja.lv", "kind": "ngo"}
    return domain.register(data, "org_0123456789abcdef", NOW)


def test_a_new_organisation_is_pending_until_verified():
    org = registered()
    assert org["status"] == "pending" and org["email_key"] == "info@drosamaja.lv"
    verified = domain.verify(org, "coordinator-1", NOW)
    assert verified["status"] == "verified"
    assert verified["history"][-1] == {
        "at": "2026-11-24T12:00:00Z",
        "action": "verified",
        "by": "coordinator-1",
    }


def test_verifying_twice_is_a_conflict():
    org = domain.verify(registered(), "c", NOW)
    with pytest.raises(Conflict):
        domain.verify(org, "c", NOW)


def test_a_suspended_organisation_can_be_verified_again():
    org = domain.suspend(domain.verify(registered(), "c", NOW), "c", NOW, reason="audit")
    assert org["status"] == "suspended"
    assert domain.verify(org, "c", NOW)["status"] == "verified"


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
    assert domain.name_key(a) == domain.name_key(b)


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
    assert domain.name_key(a) != domain.name_key(b)


def test_search_key_is_the_words_without_punctuation():
    assert domain.search_key('Biedrība  "Drošā-māja" ') == "biedriba drosa maja"
    assert domain.search_key("\u200fDro\u00adšā\u200e māja") == "drosa maja"


def test_a_name_without_letters_or_digits_is_refused():
    with pytest.raises(Invalid) as caught:
        domain.register({"name": "!!!", "email": "a@x.org"}, "org_0123456789abcdef", NOW)
    assert "name" in caught.value.details


def test_an_edit_that_changes_nothing_leaves_no_trace():
    org = registered()
    assert domain.update(org, {"name": "Drošā māja"}, "c", NOW) is org
    assert domain.update(org, {}, "c", NOW) is org


def test_the_trail_shows_old_and_new_values_but_not_personal_ones():
    org = {**registered(), "regions": ["riga"], "phone": "+371 26 000 000"}
    edited = domain.update(org, {"regions": ["latgale"], "phone": "+371 26 111 111"}, "c", NOW)
    entry = edited["history"][-1]
    assert entry["fields"] == ["phone", "regions"]
    assert entry["changes"] == {"regions": {"from": ["riga"], "to": ["latgale"]}}
    assert "26 111 111" not in str(entry)


def test_erasure_forgets_the_reasons_a_coordinator_wrote():
    org = domain.suspend(registered(), "c", NOW, reason="Jānis Ozoliņš neatbild")
    erased = domain.erase(org, "c", NOW)
    assert "Ozoliņš" not in str(erased["history"])
    assert [h["action"] for h in erased["history"]] == ["registered", "suspended", "erased"]


def test_nothing_brings_an_erased_organisation_back_or_changes_it():
    erased = domain.erase(domain.verify(registered(), "c", NOW), "admin", NOW)
    with pytest.raises(Conflict):
        domain.suspend(erased, "c", NOW)
    with pytest.raises(Conflict):
        domain.verify({**erased, "status": "suspended"}, "c", NOW)  # as an older bug left it
    with pytest.raises(Conflict):
        domain.update(erased, {"name": "Atkal te"}, "organisation", NOW)
