"""GET /api/offers answers are kept a moment in the gateway (gateway/api/listcache.py):
a change shows within the bound whatever path made it, and one organisation's list,
private offers included, never reaches another caller."""

import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests
from testbed import RABBIT_API

from gateway.api.listcache import EMPTIED_BY, TTL

pytestmark = pytest.mark.integration

# a working group, region and language no other test's offers share
DOMAIN, REGION, LANGUAGE = "legal", "kurzeme", "tg"
SLACK = 1.5  # seconds a loaded machine may add to the gateway's own bound


def pledge(session, url: str, org_id: str, **fields) -> dict:
    body = {
        "organisation_id": org_id,
        "domain": DOMAIN,
        "title": f"Juridiskas konsultācijas {uuid.uuid4().hex[:6]}",
        "capacity": 5,
        "regions": [REGION],
        "languages": [LANGUAGE],
        "available_from": "2040-01-01",
        "available_until": "2040-12-31",
        **fields,
    }
    reply = session.post(f"{url}/api/offers", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def listed(session, url: str, **params) -> list[dict]:
    reply = session.get(f"{url}/api/offers", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()["items"]


def test_every_gateway_process_hears_the_events_that_change_a_list(stack):
    vhost = quote(urlsplit(stack.env["AMQP_URI"]).path.lstrip("/"), safe="")
    queues = requests.get(f"{RABBIT_API}/queues/{vhost}", timeout=10).json()
    [queue] = [q for q in queues if q["name"].startswith("broadcast-gateway.forget_offer_lists-")]
    assert (queue["exclusive"], queue["auto_delete"], queue.get("type")) == (True, True, "classic")
    name = quote(queue["name"], safe="")
    bindings = requests.get(f"{RABBIT_API}/queues/{vhost}/{name}/bindings", timeout=10).json()
    assert {b["routing_key"] for b in bindings if b["source"]} == set(EMPTIED_BY)


def test_capacity_a_match_takes_shows_in_the_list_within_the_bound(stack, client, verified_org):
    org = verified_org(domains=[DOMAIN], regions=[REGION], languages=[LANGUAGE])
    coordinator = client()
    offer = pledge(coordinator, stack.url, org["id"])
    [before] = listed(coordinator, stack.url, organisation_id=org["id"])  # kept now
    assert before["remaining"] == 5
    need = coordinator.post(
        f"{stack.url}/api/needs",
        json={
            "domain": DOMAIN,
            "title": "Konsultācija divām ģimenēm",
            "region": REGION,
            "languages": [LANGUAGE],
            "quantity": 2,
            "needed_by": "2040-06-01",
        },
    )
    assert need.status_code == 201, need.text
    try:
        # no write through the gateway: matching's reservation reaches pledges by events
        deadline = time.monotonic() + 60
        while coordinator.get(f"{stack.url}/api/offers/{offer['id']}").json()["remaining"] == 5:
            assert time.monotonic() < deadline, "the match never took the capacity"
            time.sleep(0.05)
        changed = time.monotonic()
        while True:
            [now] = listed(coordinator, stack.url, organisation_id=org["id"])
            if now["remaining"] == 3:
                break
            assert time.monotonic() - changed < TTL + SLACK, "the list stayed stale"
            time.sleep(0.05)
    finally:
        coordinator.post(f"{stack.url}/api/needs/{need.json()['id']}/cancel")
        coordinator.post(f"{stack.url}/api/offers/{offer['id']}/withdraw?force=true")


def test_an_organisation_never_gets_a_list_kept_for_another_caller(stack, client, verified_org):
    one, other = (verified_org(domains=[DOMAIN], regions=[REGION]) for _ in range(2))
    ours, theirs = client("organisation", one["id"]), client("organisation", other["id"])
    coordinator = client()
    private = pledge(ours, stack.url, one["id"], public=False, description="Zvaniet Annai")
    try:
        # the organisation itself and the staff see it, and their answers are kept now
        assert [o["id"] for o in listed(ours, stack.url)] == [private["id"]]
        assert [o["id"] for o in listed(ours, stack.url, organisation_id=one["id"])] == [
            private["id"]
        ]
        staff_view = listed(coordinator, stack.url, organisation_id=one["id"])
        assert [o["id"] for o in staff_view] == [private["id"]]
        # another organisation asking the same lists within the same seconds
        for params in ({}, {"organisation_id": one["id"]}, {"domain": DOMAIN}):
            seen = listed(theirs, stack.url, **params)
            assert all(o["organisation_id"] == other["id"] for o in seen), params
            assert "Zvaniet Annai" not in str(seen)
    finally:
        ours.post(f"{stack.url}/api/offers/{private['id']}/withdraw?force=true")
