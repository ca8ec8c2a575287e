"""GET /api/admin/stats with a service down: the others' counts, the missing ones null
and named in `down`; `tilts status` prints what it got."""

from types import SimpleNamespace

import pytest
from nameko.exceptions import UnknownService
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.api.openapi import document
from gateway.cli.status import print_counts
from gateway.service import GatewayService
from tilts_contracts.errors import Unavailable
from tilts_contracts.tokens import issue_token

SECRET = "unit-test-secret-not-for-use-anywhere"
COUNTS = {
    "registry": {"organisations": {"pending": 1, "verified": 2, "suspended": 0}},
    "pledges": {"offers": {"active": 3}, "needs": {"open": 4}},
    "matching": {"matches": {"proposed": 5}, "parked_events": 0},
    "notify": {"notifications": {"sent": 6}},
}


@pytest.fixture
def gateway():
    gateway = worker_factory(GatewayService, config=SimpleNamespace(secret=SECRET, timeout=1.0))
    for name, counts in COUNTS.items():
        getattr(gateway, name).counts.call_async.return_value.result.return_value = counts
    return gateway


def stats(gateway):
    token = issue_token(SECRET, "admin")
    environ = EnvironBuilder(headers={"Authorization": f"Bearer {token}"}).get_environ()
    return gateway.stats(Request(environ))


def test_every_service_answering_gives_every_count(gateway):
    reply = stats(gateway)
    assert reply.status_code == 200
    assert reply.json == {**{k: v for c in COUNTS.values() for k, v in c.items()}, "down": []}


def test_a_service_down_leaves_its_counts_null_and_the_others_shown(gateway):
    gateway.pledges.counts.call_async.side_effect = UnknownService("pledges")
    reply = stats(gateway)
    assert reply.status_code == 200
    body = reply.json
    assert body["offers"] is None and body["needs"] is None and body["down"] == ["pledges"]
    assert body["organisations"] == COUNTS["registry"]["organisations"]
    assert body["notifications"] == COUNTS["notify"]["notifications"]


def test_no_service_answering_is_503(gateway):
    for name in COUNTS:
        getattr(gateway, name).counts.call_async.side_effect = UnknownService(name)
    with pytest.raises(Unavailable):
        stats(gateway)


def test_tilts_status_prints_the_counts_it_got_and_which_are_missing(capsys):
    print_counts(
        {
            "organisations": {"verified": 2},
            "notifications": None,
            "parked_events": 0,
            "down": ["notify"],
        }
    )
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "organisations: verified 2",
        "notifications: unknown (notify did not answer)",
        "parked_events: 0",
    ]


def test_openapi_describes_the_counts_and_down():
    spec = document(GatewayService)
    answer = spec["paths"]["/api/admin/stats"]["get"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"] == {"$ref": "#/components/schemas/Stats"}
    stats_schema = spec["components"]["schemas"]["Stats"]
    assert "down" in stats_schema["required"]
    assert {"organisations", "offers", "needs", "matches", "notifications"} <= set(
        stats_schema["properties"]
    )
