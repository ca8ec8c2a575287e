"""Ids and cursors from the URL: well-formed exactly, or not found / invalid."""

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.api.base import checked_id
from gateway.api.listing import list_args
from tilts_contracts.errors import Invalid, NotFound
from tilts_contracts.schemas.common import id_shape as id_cursor


def test_a_well_formed_id_passes():
    assert checked_id("org_0123456789ab") == "org_0123456789ab"


@pytest.mark.parametrize("odd", ["org_0123456789ab\n", "org_0123456789ab\n\n", "\norg_01234567"])
def test_an_id_with_a_newline_is_not_found(odd):
    with pytest.raises(NotFound):
        checked_id(odd)


def test_a_cursor_with_a_trailing_newline_is_invalid():
    request = Request(EnvironBuilder(query_string="cursor=need_0123456789ab%0a").get_environ())
    with pytest.raises(Invalid) as caught:
        list_args(request, (), id_cursor("need"))
    assert "cursor" in caught.value.details
