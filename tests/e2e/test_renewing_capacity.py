"""A weekly offer used up this week is offered again next week: the needs that waited
for it are matched, with three matching workers, and never beyond its capacity."""

import time
import uuid
from datetime import timedelta

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from pledges.renewal import period_start
from tilts_contracts.clock import iso, utcnow
from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration

DOMAIN, REGION = "legal", "latgale"
WEEK = 7 * 24 * 3600


def session(stack, role, org=None):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {issue_token(stack.secret, role, org=org)}"
    return s


def test_a_weekly_offer_exhausted_this_week_is_matched_again_next_week(own_stack, wait_until):
    stack = own_stack(workers={"matching": 3}, TEST_CLOCK="true")
    url, coordinator = stack.url, session(stack, "coordinator")
    org = coordinator.post(
        f"{url}/api/organisations",
        json={
            "name": f"Juristi bez robežām {uuid.uuid4().hex[:6]}",
            "email": f"legal-{uuid.uuid4().hex[:6]}@example.org",
            "domains": [DOMAIN],
            "regions": [REGION],
            "languages": ["lv", "ru"],
        },
    ).json()
    assert coordinator.post(f"{url}/api/organisations/{org['id']}/verify").status_code == 200
    ours = session(stack, "organisation", org["id"])
    reply = ours.post(
        f"{url}/api/offers",
        json={
            "domain": DOMAIN,
            "title": "Juridiskās konsultācijas",
            "capacity": 2,
            "unit": "konsultācijas",
            "regions": [REGION],
            "renews": "weekly",
        },
    )
    assert reply.status_code == 201, reply.text
    offer = reply.json()
    assert offer["renews"] == "weekly" and offer["renewed_at"] is None
    offer_url = f"{url}/api/offers/{offer['id']}"
    wall = wait_until(
        lambda: requests.get(f"{url}/wall?lang=lv&region={REGION}", timeout=10).text,
        lambda page: "Juridiskās konsultācijas" in page,
    )
    assert "/ 2 konsultācijas nedēļā" in wall  # the public reads how often it comes back

    def post_need(title, quantity):
        body = {"domain": DOMAIN, "region": REGION, "title": title, "quantity": quantity}
        reply = coordinator.post(f"{url}/api/needs", json=body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    def matches_of(need):
        return coordinator.get(f"{url}/api/matches", params={"need_id": need["id"]}).json()["items"]

    # this week: two consultations asked, given, delivered; the offer is used up
    first = post_need("Divas konsultācijas par uzturēšanās atļauju", 2)
    [match] = wait_until(lambda: matches_of(first), lambda items: len(items) == 1)
    assert ours.post(f"{url}/api/matches/{match['id']}/accept").status_code == 200
    assert ours.post(f"{url}/api/matches/{match['id']}/fulfil").status_code == 200
    used = wait_until(lambda: ours.get(offer_url).json(), lambda o: o["status"] == "exhausted")
    assert used["status"] == "exhausted" and used["remaining"] == 0

    # three more wait, for one consultation each: nobody can take them this week
    waiting = [post_need(f"Konsultācija {n}", 1) for n in range(3)]
    for need in waiting:
        got = wait_until(
            lambda need=need: coordinator.get(f"{url}/api/needs/{need['id']}").json(),
            lambda n: n["status"] == "unmatched",
        )
        assert got["status"] == "unmatched" and got["matches"] == []

    # next week, the capacity is back: two of the three are asked, never the third
    moved = utcnow() + timedelta(seconds=WEEK)
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}) as cluster:
        cluster.pledges.shift_clock(WEEK)
    renewed = wait_until(
        lambda: ours.get(offer_url).json(),  # a busy machine may answer 503 meanwhile
        lambda o: o.get("renewed_at") and o.get("remaining") == 0,
        timeout=60,
    )
    assert renewed["renewed_at"] == iso(period_start(moved, "weekly"))
    asked = wait_until(
        lambda: [m for need in waiting for m in matches_of(need)],
        lambda items: len(items) == 2,
        timeout=30,
    )
    assert len(asked) == 2 and {m["status"] for m in asked} == {"proposed"}
    assert all(m["offer_id"] == offer["id"] for m in asked)
    assert renewed["status"] == "exhausted" and renewed["remaining"] == 0
    time.sleep(3)  # every worker's round has ended: still two, the third waits
    assert sum(len(matches_of(need)) for need in waiting) == 2
    left = [n for n in waiting if not matches_of(n)]
    assert coordinator.get(f"{url}/api/needs/{left[0]['id']}").json()["status"] == "unmatched"
    # and what was delivered last week stays on the record
    assert [m["status"] for m in matches_of(first)] == ["fulfilled"]
