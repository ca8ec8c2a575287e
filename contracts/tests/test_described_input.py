"""What the API description says of a field holds for the schema that loads it."""

import re

import pytest

from tilts_contracts.errors import Invalid
from tilts_contracts.schemas.common import load, text_pattern
from tilts_contracts.schemas.needs import NeedIn

NEED = {"domain": "health", "title": "Ārsts bērnam", "region": "riga", "quantity": 1}


def test_a_whole_number_written_with_a_fraction_of_zero_is_taken():
    assert load(NeedIn(), {**NEED, "quantity": 4275.0})["quantity"] == 4275


@pytest.mark.parametrize("quantity", [2.5, "3", True, float("inf")])
def test_anything_else_is_refused_naming_the_field(quantity):
    with pytest.raises(Invalid) as refused:
        load(NeedIn(), {**NEED, "quantity": quantity})
    assert "quantity" in refused.value.details


@pytest.mark.parametrize("title", ["a\u0000b", "a\u202eb", "a\u2028b", "a\nb", "a\u0085b"])
def test_the_described_pattern_refuses_what_the_field_refuses(title):
    assert not re.fullmatch(text_pattern(False), title)
    with pytest.raises(Invalid):
        load(NeedIn(), {**NEED, "title": title})


def test_joiners_and_direction_marks_pass_both():
    title = "Ārsts\u200d bērnam \u200f"
    assert re.fullmatch(text_pattern(False), title)
    assert re.fullmatch(text_pattern(True), "a\nb\tc")
    load(NeedIn(), {**NEED, "title": title})
