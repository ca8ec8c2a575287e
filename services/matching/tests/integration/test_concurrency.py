"""Three matching workers on one queue never over-allocate an offer or over-cover a need."""

import random
import time
import uuid
from urllib.parse import quote, urlparse

import pytest
import requests
from nameko.standalone.events import event_dispatcher
from pymongo import MongoClient
from stack import Stack
from testbed import RABBIT_API, make_vhost, start_nx

from tilts_contracts.events import envelope
from tilts_contracts.settings import from_env

pytestmark = pytest.mark.integration

NEEDS, OFFERS, CAPACITY = 500, 6, 40


def queue_backlog(amqp_uri: str) -> int:
    vhost = quote(urlparse(amqp_uri).path.lstrip("/") or "/", safe="")
    queues = requests.get(f"{RABBIT_API}/queues/{vhost}", timeout=10).json()
    # matching's own queues (evt-<source>-<type>--matching.<handler>), not those it
    # declares for the consumers of its events, which nobody reads here
    return sum(q.get("messages", 0) for q in queues if "--matching." in q["name"])


def wait_for_workers(amqp_uri: str, workers: int, timeout: float = 90) -> None:
    """Until each of matching's queues has `workers` consumers: every worker is up, and
    the exchanges its handlers bind to exist (an event sent before is dropped)."""
    vhost = quote(urlparse(amqp_uri).path.lstrip("/") or "/", safe="")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queues = requests.get(f"{RABBIT_API}/queues/{vhost}", timeout=10).json()
        ours = [q for q in queues if "--matching." in q["name"]]
        if ours and all(q.get("consumers", 0) >= workers for q in ours):
            return
        time.sleep(0.5)
    raise AssertionError(f"{workers} matching workers did not start in {timeout} s")


def test_three_workers_keep_the_books_straight(tmp_path):
    amqp, drop_vhost = make_vhost()
    mongo, nx = start_nx(tmp_path / "nx")
    env = {**from_env({}), "AMQP_URI": amqp, "MONGO_URI": mongo}
    workers = Stack(env, tmp_path, workers={"matching": 3})
    try:
        workers.start_services(("matching",))
        dispatch = event_dispatcher({"AMQP_URI": amqp})
        wait_for_workers(amqp, 3)

        orgs = [f"org_{uuid.uuid4().hex[:20]}" for _ in range(3)]
        for org_id in orgs:
            dispatch(
                "registry",
                "organisation_verified",
                envelope(
                    "organisation_verified",
                    {
                        "id": org_id,
                        "name": org_id,
                        "email": f"{org_id}@ex.org",
                        "status": "verified",
                        "revision": 2,
                    },
                ),
            )
        time.sleep(1)
        offers = []
        for n in range(OFFERS):
            offer = {
                "id": f"off_{uuid.uuid4().hex[:20]}",
                "organisation_id": orgs[n % 3],
                "domain": "social",
                "title": f"offer {n}",
                "capacity": CAPACITY,
                "remaining": CAPACITY,
                "regions": ["riga"],
                "languages": [],
                "status": "active",
                "public": True,
                "revision": 1,
            }
            offers.append(offer)
            dispatch("pledges", "offer_pledged", envelope("offer_pledged", offer))
        time.sleep(1)
        rng = random.Random(7)
        asked = {}
        for _ in range(NEEDS):
            need = {
                "id": f"need_{uuid.uuid4().hex[:20]}",
                "domain": "social",
                "title": "t",
                "region": "riga",
                "languages": [],
                "quantity": rng.randint(1, 3),
                "urgency": "normal",
                "status": "open",
                "revision": 1,
            }
            asked[need["id"]] = need["quantity"]
            dispatch("pledges", "need_posted", envelope("need_posted", need))

        db = MongoClient(mongo).tilts_matching
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if db.needs.count_documents({}) == NEEDS and queue_backlog(amqp) == 0:
                break
            time.sleep(1)
        time.sleep(2)  # the last handlers finish their writes
        assert db.needs.count_documents({}) == NEEDS

        live = list(db.matches.find({"status": "proposed"}))
        for offer in offers:
            held = db.offers.find_one({"_id": offer["id"]})
            promised = sum(m["quantity"] for m in live if m["offer_id"] == offer["id"])
            assert promised <= CAPACITY
            assert held["remaining"] == CAPACITY - promised >= 0
        for need in db.needs.find({}):
            covered = sum(m["quantity"] for m in live if m["need_id"] == need["_id"])
            assert covered <= asked[need["_id"]]
            assert need["covered"] == covered
        pairs = [(m["need_id"], m["organisation_id"]) for m in live]
        assert len(pairs) == len(set(pairs))  # one request per organisation per need
        total = sum(m["quantity"] for m in live)
        assert total == OFFERS * CAPACITY  # demand (~1000) exceeds supply: all of it is used
        for processes in workers.procs.values():
            assert processes.poll() is None  # no worker crashed on the way
    finally:
        workers.stop()
        nx.terminate()
        drop_vhost()
