"""Registry domain rules, no broker or database."""

from datetime import UTC, datetime

import pytest

from registry import domain
from tilts_contracts.errors import Conflict

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
