"""The gateway's short-lived cache of list answers, and GET /api/offers on it."""

import json
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.api import listcache
from gateway.api.auth import Caller
from gateway.api.listcache import EMPTIED_BY, Lists, audience
from gateway.service import GatewayService
from tilts_contracts.events import EVENTS
from tilts_runtime.queues import Broadcast


def test_a_second_reader_within_the_ttl_gets_the_first_answer_without_a_call():
    lists, calls = Lists(), []
    first = lists.fetch(("k",), lambda: calls.append(1) or {"items": ["Rīga"]})
    second = lists.fetch(("k",), lambda: calls.append(1) or {"items": ["other"]})
    assert json.loads(first) == json.loads(second) == {"items": ["Rīga"]}
    assert len(calls) == 1


def test_an_answer_is_asked_for_again_once_the_ttl_has_passed(monkeypatch):
    lists, now = Lists(), [100.0]
    monkeypatch.setattr(listcache.time, "monotonic", lambda: now[0])
    lists.fetch(("k",), lambda: "old")
    now[0] += listcache.TTL + 0.01
    assert json.loads(lists.fetch(("k",), lambda: "new")) == "new"


def test_emptying_drops_every_answer():
    lists = Lists()
    lists.fetch(("a",), lambda: "old a")
    lists.fetch(("b",), lambda: "old b")
    lists.empty()
    assert json.loads(lists.fetch(("a",), lambda: "new a")) == "new a"
    assert json.loads(lists.fetch(("b",), lambda: "new b")) == "new b"


def test_an_answer_fetched_while_the_cache_was_emptied_is_not_kept():
    lists = Lists()

    def load_while_an_offer_changes():
        lists.empty()  # the event arrives while the RPC is on its way
        return "maybe stale"

    assert json.loads(lists.fetch(("k",), load_while_an_offer_changes)) == "maybe stale"
    assert json.loads(lists.fetch(("k",), lambda: "fresh")) == "fresh"


def test_a_full_cache_drops_the_expired_first_then_everything(monkeypatch):
    lists, now = Lists(), [0.0]
    monkeypatch.setattr(listcache.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(listcache, "MOST", 3)
    lists.fetch(("old",), lambda: 1)
    now[0] += listcache.TTL + 0.01
    lists.fetch(("a",), lambda: 2)
    lists.fetch(("b",), lambda: 3)
    lists.fetch(("c",), lambda: 4)  # full: the expired one goes
    assert set(lists.entries) == {("a",), ("b",), ("c",)}
    lists.fetch(("d",), lambda: 5)  # full of live ones: all go
    assert set(lists.entries) == {("d",)}


def test_staff_share_one_view_and_each_organisation_has_its_own():
    admin, coordinator = Caller("admin", "acc_1"), Caller("coordinator", "acc_2")
    one, other = Caller("organisation", "acc_3", "org_a"), Caller("organisation", "acc_4", "org_b")
    assert audience(admin) == audience(coordinator) == "staff"
    assert len({audience(admin), audience(one), audience(other)}) == 3


def test_every_event_that_changes_an_offer_list_empties_it():
    (entrypoint,) = GatewayService.forget_offer_lists.nameko_entrypoints
    assert isinstance(entrypoint, Broadcast)
    assert set(entrypoint.event_types) == set(EMPTIED_BY)
    assert all(t in EVENTS for t in EMPTIED_BY)
    assert {"offer_pledged", "offer_updated", "offer_withdrawn"} <= set(EMPTIED_BY)


SECRET = "unit-test-secret-not-for-use-anywhere"
OWN_OFFERS = {
    "org_aaaaaaaaaaaa": {"items": [{"id": "off_1", "title": "A's private room"}], "next": None},
    "org_bbbbbbbbbbbb": {"items": [], "next": None},
}


@pytest.fixture
def gateway():
    config = SimpleNamespace(secret=SECRET, timeout=1.0)
    worker = worker_factory(GatewayService, config=config, lists=Lists())
    worker.pledges.list_offers.call_async.side_effect = lambda filters, *a: SimpleNamespace(
        result=lambda: OWN_OFFERS[filters["organisation_id"]]
    )
    return worker


def listing(gateway, org: str) -> dict:
    from tilts_contracts.tokens import issue_token

    token = issue_token(SECRET, "organisation", org=org)
    env = EnvironBuilder(path="/api/offers", headers={"Authorization": f"Bearer {token}"})
    return json.loads(gateway.list_offers(Request(env.get_environ())).get_data())


def test_one_organisation_never_gets_the_list_kept_for_another(gateway):
    assert listing(gateway, "org_aaaaaaaaaaaa")["items"][0]["title"] == "A's private room"
    assert listing(gateway, "org_bbbbbbbbbbbb")["items"] == []
    assert listing(gateway, "org_aaaaaaaaaaaa")["items"][0]["id"] == "off_1"
    assert gateway.pledges.list_offers.call_async.call_count == 2  # the third was kept
