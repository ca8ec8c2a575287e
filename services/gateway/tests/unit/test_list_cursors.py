"""A cursor must be one the list itself gives out: anything else is a 400 naming
`cursor`, before any backend is asked (it read as page 1, or as an empty list)."""

from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.api.listcache import Lists
from gateway.service import GatewayService
from tilts_contracts.clock import new_id
from tilts_contracts.errors import Invalid
from tilts_contracts.tokens import issue_token

SECRET = "unit-test-secret-not-for-use-anywhere"
OUTBOX = "2026-03-01T09:30:00Z.6f1c2a9e-1b2c-4d5e-8f90-0a1b2c3d4e5f.match_proposed"

# route, backend, method, role, a cursor the backend gives out
LISTS = [
    ("list_needs", "pledges", "list_needs", "coordinator", new_id("need")),
    ("list_offers", "pledges", "list_offers", "coordinator", new_id("off")),
    ("list_organisations", "registry", "list_organisations", "coordinator", new_id("org")),
    ("list_matches", "matching", "list_matches", "coordinator", new_id("mat")),
    ("list_notifications", "notify", "list_notifications", "coordinator", OUTBOX),
    ("list_subscriptions", "notify", "list_subscriptions", "coordinator", new_id("sub")),
    ("parked_events", "registry", "parked_events", "admin", "2026-03-01T09:30:00Z.2"),
]


def get(query: dict, role: str) -> Request:
    token = issue_token(SECRET, role)
    environ = EnvironBuilder(
        path="/", query_string=urlencode(query), headers={"Authorization": f"Bearer {token}"}
    ).get_environ()
    return Request(environ)


@pytest.fixture
def gateway():
    config = SimpleNamespace(secret=SECRET, timeout=1.0)
    return worker_factory(GatewayService, config=config, lists=Lists())  # a real cache: empty


def asked(gateway, backend: str, method: str):
    return getattr(getattr(gateway, backend), method).call_async


@pytest.mark.parametrize("route, backend, method, role, good", LISTS)
@pytest.mark.parametrize(
    "odd",
    [
        "abc",
        "need",
        "need_XYZ0123456789",
        "need_0123",
        "2026-03-01T09:30:00Z",
        "2026-03-01.abc",
        "1.2",
    ],
)
def test_a_cursor_no_list_gives_out_is_invalid(gateway, route, backend, method, role, good, odd):
    with pytest.raises(Invalid) as caught:
        getattr(gateway, route)(get({"cursor": odd}, role))
    assert list(caught.value.details) == ["cursor"]
    assert not asked(gateway, backend, method).called


@pytest.mark.parametrize("route, backend, method, role, good", LISTS)
def test_another_lists_cursor_is_invalid(gateway, route, backend, method, role, good):
    others = {cursor for *_, cursor in LISTS if cursor != good}
    if route == "list_notifications":  # "<time>.2" is also an outbox cursor's shape
        others.discard("2026-03-01T09:30:00Z.2")
    for other in others:
        with pytest.raises(Invalid):
            getattr(gateway, route)(get({"cursor": other}, role))
    assert not asked(gateway, backend, method).called


@pytest.mark.parametrize("route, backend, method, role, good", LISTS)
def test_the_lists_own_cursor_reaches_the_backend(gateway, route, backend, method, role, good):
    rpc = asked(gateway, backend, method)
    rpc.return_value.result.return_value = (
        [] if route == "parked_events" else {"items": [], "next": None}
    )
    assert getattr(gateway, route)(get({"cursor": good, "limit": "3"}, role)).status_code == 200
    if route == "parked_events":
        assert rpc.call_args.args == (3 + 2 + 1, "2026-03-01T09:30:00Z")
    else:
        assert good in rpc.call_args.args
