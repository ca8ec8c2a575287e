"""Titles, units, case references and names go into email subjects and headers: one
line, no control characters, refused at the door with the field named (audit H1)."""

import pytest

from tilts_contracts.errors import Invalid
from tilts_contracts.schemas.common import load
from tilts_contracts.schemas.needs import NeedIn
from tilts_contracts.schemas.notifications import Subscription
from tilts_contracts.schemas.offers import OfferIn

NEED = {"domain": "health", "title": "Ārsts bērnam", "region": "riga", "quantity": 1}
OFFER = {
    "organisation_id": "org_0123456789abcdef",
    "domain": "health",
    "title": "Ārsta konsultācijas",
    "capacity": 2,
    "regions": ["riga"],
}


@pytest.mark.parametrize("breaking", ["\n", "\r\n", "\u2028", "\u2029", "\x85", "\x00", "\t"])
@pytest.mark.parametrize(
    "schema, body, field",
    [
        (NeedIn, NEED, "title"),
        (NeedIn, NEED, "case_ref"),
        (OfferIn, OFFER, "title"),
        (OfferIn, OFFER, "unit"),
        (Subscription, {"email": "k@example.org", "domains": ["health"]}, "name"),
    ],
)
def test_a_line_break_in_a_one_line_field_is_refused_naming_it(schema, body, field, breaking):
    with pytest.raises(Invalid) as refused:
        load(schema(), {**body, field: f"Ārsts bērnam{breaking}otrā rindā"})
    assert field in refused.value.details


def test_descriptions_keep_their_lines_and_titles_their_letters():
    need = load(
        NeedIn(),
        {
            **NEED,
            "title": "  Ģimenes ārsts (ZWJ: 👩\u200d⚕️)  ",
            "description": "Divi bērni.\nOtrs.",
        },
    )
    assert need["title"] == "Ģimenes ārsts (ZWJ: 👩\u200d⚕️)"
    assert need["description"] == "Divi bērni.\nOtrs."
    with pytest.raises(Invalid):
        load(NeedIn(), {**NEED, "description": "a\u202eb"})  # right-to-left override


ARABIC = "طبيب \u200fأطفال\u200f (Rīga, 2\u061c-3)\u200e ok; ārsta\u00adkonsultācija"


@pytest.mark.parametrize("field", ["title", "description"])
def test_direction_marks_and_soft_hyphens_of_pasted_text_round_trip(field):
    need = load(NeedIn(), {**NEED, field: ARABIC})
    assert need[field] == ARABIC


@pytest.mark.parametrize(
    "hidden",
    [
        *(chr(c) for c in range(0x202A, 0x202F)),  # embeddings and overrides
        *(chr(c) for c in range(0x2066, 0x206A)),  # isolates
        "\u200b",  # zero-width space
        "\ufeff",  # a BOM inside the text
        "\x07",
    ],
)
@pytest.mark.parametrize("field", ["title", "description"])
def test_bidi_overrides_isolates_and_controls_are_still_refused(field, hidden):
    with pytest.raises(Invalid) as refused:
        load(NeedIn(), {**NEED, field: f"Ārsts{hidden} bērnam"})
    assert field in refused.value.details
