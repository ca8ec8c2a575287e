"""List filters: a value outside the vocabulary is a 400 naming the filter, for every
list that takes one, before any backend is asked."""

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.api.listcache import Lists
from gateway.api.listing import checked_filters
from gateway.service import GatewayService
from tilts_contracts.errors import Invalid
from tilts_contracts.tokens import issue_token

SECRET = "unit-test-secret-not-for-use-anywhere"


def get(path: str, query: str) -> Request:
    token = issue_token(SECRET, "coordinator")
    environ = EnvironBuilder(
        path=path, query_string=query, headers={"Authorization": f"Bearer {token}"}
    ).get_environ()
    return Request(environ)


@pytest.fixture
def gateway():
    config = SimpleNamespace(secret=SECRET, timeout=1.0)
    return worker_factory(GatewayService, config=config, lists=Lists())  # a real cache: empty


@pytest.mark.parametrize(
    "route, backend, query, field",
    [
        ("list_offers", "pledges", "status=bogus", "status"),
        ("list_offers", "pledges", "domain=mars", "domain"),
        ("list_offers", "pledges", "region=europe", "region"),
        ("list_needs", "pledges", "status=bogus", "status"),
        ("list_needs", "pledges", "urgency=asap", "urgency"),
        ("list_needs", "pledges", "region=nationwide", "region"),
        ("list_organisations", "registry", "domain=mars", "domain"),
        ("list_matches", "matching", "status=bogus", "status"),
        ("list_matches", "matching", "need_id=42", "need_id"),
        ("list_matches", "matching", "need_id=off_0190a1b2c3d4e5f6a7b8c9d0", "need_id"),
        ("list_matches", "matching", "organisation_id=Red%20Cross", "organisation_id"),
        ("list_offers", "pledges", "organisation_id=org_", "organisation_id"),
        ("list_notifications", "notify", "organisation_id=need_0190a1b2c3d4e5", "organisation_id"),
    ],
)
def test_an_unknown_filter_value_is_invalid_naming_the_filter(
    gateway, route, backend, query, field
):
    with pytest.raises(Invalid) as caught:
        getattr(gateway, route)(get("/", query))
    assert list(caught.value.details) == [field]
    assert not getattr(gateway, backend).mock_calls  # nobody was asked for an empty list


@pytest.mark.parametrize(
    "route, query",
    [
        ("list_offers", "status=exhausted&domain=health&region=nationwide"),
        ("list_needs", "status=cancelled&urgency=critical&region=latgale"),
    ],
)
def test_a_known_filter_value_reaches_the_backend(gateway, route, query):
    rpc = getattr(gateway.pledges, route).call_async
    rpc.return_value.result.return_value = {"items": [], "next": None}
    assert getattr(gateway, route)(get("/", query)).status_code == 200
    assert rpc.call_args.args[0] == dict(pair.split("=") for pair in query.split("&"))


@pytest.mark.parametrize(
    "status", ["proposed", "accepted", "declined", "expired", "fulfilled", "cancelled"]
)
def test_every_match_status_reaches_the_backend(gateway, status):
    rpc = gateway.matching.list_matches.call_async
    rpc.return_value.result.return_value = {"items": [], "next": None}
    assert gateway.list_matches(get("/", f"status={status}")).status_code == 200
    assert rpc.call_args.args[0] == {"status": status}


def test_match_filters_by_need_and_organisation_reach_the_backend(gateway):
    rpc = gateway.matching.list_matches.call_async
    rpc.return_value.result.return_value = {"items": [], "next": None}
    query = "need_id=need_0190a1b2c3d4e5f6a7b8c9d0&organisation_id=org_0190a1b2c3d4e5f6a7"
    assert gateway.list_matches(get("/", query)).status_code == 200
    assert rpc.call_args.args[0] == dict(pair.split("=") for pair in query.split("&"))


def test_every_bad_filter_is_named_at_once():
    known = {"domain": ("health",), "status": ("open",)}
    with pytest.raises(Invalid) as caught:
        checked_filters({"domain": "mars", "status": "x", "q": "anything"}, known)
    assert set(caught.value.details) == {"domain", "status"}
