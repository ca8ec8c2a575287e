"""What an organisation may be called and described as: text, not control characters."""

import pytest

from tilts_contracts.errors import Invalid
from tilts_contracts.schemas.common import load
from tilts_contracts.schemas.organisations import OrganisationIn, SuspendIn

BASE = {"name": "Drošā māja", "email": "info@example.org"}


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "   "),
        ("name", "!!!"),
        ("name", "Drošā\x00māja"),
        ("name", "Drošā \u202emāja"),  # a right-to-left override turns the name around
        ("name", "Drošā\nmāja"),
        ("description", "Palīdzam\x07"),
        ("phone", "+371\u200b26000000"),
    ],
)
def test_names_without_letters_and_control_characters_are_refused_naming_the_field(field, value):
    with pytest.raises(Invalid) as caught:
        load(OrganisationIn(), {**BASE, field: value})
    assert list(caught.value.details) == [field]


def test_a_name_may_start_with_punctuation():
    for name in ("„Drošā māja”", "<b>Drošā</b>", "(SIA) 3D"):
        assert load(OrganisationIn(), {**BASE, "name": name})["name"] == name


def test_text_is_trimmed_kept_as_written_and_lists_hold_each_code_once():
    data = load(
        OrganisationIn(),
        {
            **BASE,
            "name": "  Drošā māja ",
            "description": "Pirmā rinda\notrā\trinda; می\u200cخواهم",
            "domains": ["social", "social", "legal"],
            "languages": ["lv", "lv"],
        },
    )
    assert data["name"] == "Drošā māja"
    assert data["description"] == "Pirmā rinda\notrā\trinda; می\u200cخواهم"
    assert data["domains"] == ["social", "legal"] and data["languages"] == ["lv"]


@pytest.mark.parametrize("body", [{"reason": {"x": ["y"]}}, {"reason": "r" * 501}, {"why": "x"}])
def test_a_suspension_reason_is_short_text(body):
    with pytest.raises(Invalid):
        load(SuspendIn(), body)
