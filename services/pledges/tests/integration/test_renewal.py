"""Three pledges workers renew each offer's capacity once a period, over real RabbitMQ
and NX-27017: one write, one offer_updated, however many of them look at once."""

import time
import uuid
from urllib.parse import quote, urlparse

import pytest
import requests
from kombu import Connection, Queue
from nameko.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo import MongoClient
from stack import Stack
from testbed import RABBIT_API, make_vhost, start_nx

from tilts_contracts.settings import database_name, from_env

pytestmark = pytest.mark.integration

WORKERS, OFFERS = 3, 8
WEEK = 7 * 24 * 3600


def wait_for_rpc_consumers(amqp_uri: str, workers: int, timeout: float = 90) -> None:
    vhost = quote(urlparse(amqp_uri).path.lstrip("/") or "/", safe="")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = requests.get(f"{RABBIT_API}/queues/{vhost}/rpc-pledges", timeout=10)
        if reply.ok and reply.json().get("consumers", 0) >= workers:
            return
        time.sleep(0.5)
    raise AssertionError(f"{workers} pledges workers did not start in {timeout} s")


def drain(queue) -> list[dict]:
    """Every message waiting on `queue`, read and acknowledged."""
    got = []
    while (message := queue.get(no_ack=True)) is not None:
        got.append(message.payload)
    return got


def test_three_workers_renew_each_offer_once_a_week(tmp_path):
    amqp, drop_vhost = make_vhost()
    mongo, nx = start_nx(tmp_path / "nx")
    env = {**from_env({}), "AMQP_URI": amqp, "MONGO_URI": mongo, "TEST_CLOCK": "true"}
    workers = Stack(env, tmp_path, workers={"pledges": WORKERS})
    connection = Connection(amqp)
    try:
        workers.start_services(("pledges",))
        wait_for_rpc_consumers(amqp, WORKERS)
        watched = Queue(
            f"renewals-{uuid.uuid4().hex[:8]}",
            exchange=get_event_exchange("pledges", {}),
            routing_key="offer_updated",
            exclusive=True,
        )(connection.channel())
        watched.declare()
        with ClusterRpcProxy({"AMQP_URI": amqp}) as cluster:
            pledges = cluster.pledges
            offers = [
                pledges.pledge_offer(
                    {
                        "organisation_id": f"org_{uuid.uuid4().hex[:16]}",
                        "domain": "legal",
                        "title": f"Juridiskas konsultācijas {n}",
                        "capacity": 3,
                        "unit": "konsultācijas",
                        "regions": ["riga"],
                        "renews": "weekly" if n % 2 else "monthly",
                    }
                )
                for n in range(OFFERS)
            ]
            assert {o["renewed_at"] for o in offers} == {None}
            pledges.shift_clock(WEEK)
            weekly = [o["id"] for o in offers if o["renews"] == "weekly"]
            # a dozen renewals at once, spread over the three workers, while their own
            # timers look too
            calls = [pledges.renew_capacity.call_async() for _ in range(12)]
            assert sum(call.result() for call in calls) <= OFFERS
            time.sleep(2 * 10)  # every worker's timer has looked at least once more
            assert pledges.renew_capacity() == 0
        db = MongoClient(mongo)[database_name("pledges")]
        for offer_id in weekly:
            held = db.offers.find_one({"_id": offer_id})
            assert held["revision"] == 2  # pledged, renewed: one write each
            assert held["renewed_at"] == held["period_start"]
            assert held["renewed_at"] > held["created_at"]
        renewed = [e["payload"]["id"] for e in drain(watched) if e["payload"]["renewed_at"]]
        # a month may or may not have begun in the week moved: each at most once
        assert len(renewed) == len(set(renewed))
        assert set(weekly) <= set(renewed) <= {o["id"] for o in offers}
        for processes in workers.procs.values():
            assert processes.poll() is None
    finally:
        connection.release()
        workers.stop()
        nx.terminate()
        nx.wait(10)
        drop_vhost()
