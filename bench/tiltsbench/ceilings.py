"""The raw ceilings of this machine right now: one NX-27017, and the broker."""

import time
from pathlib import Path

from kombu import Connection, Exchange, Queue
from pymongo import MongoClient
from testbed import make_vhost, start_nx


def storage_ceiling(var: Path, n: int = 2000) -> float:
    """insert_one + find_one pairs per second against a fresh NX-27017, one client."""
    uri, nx = start_nx(var)
    client = MongoClient(uri)
    try:
        coll = client.bench.raw
        began = time.perf_counter()
        for i in range(n):
            coll.insert_one({"_id": i, "v": i})
            coll.find_one({"_id": i})
        return n / (time.perf_counter() - began)
    finally:
        client.close()
        nx.terminate()


def broker_ceiling(n: int = 3000) -> float:
    """Messages published and consumed per second through one queue, one connection."""
    amqp, drop = make_vhost()
    exchange = Exchange("bench", type="direct", durable=False)
    queue = Queue("bench", exchange, routing_key="bench", durable=False, auto_delete=True)
    received = [0]

    def got(body, message):
        message.ack()
        received[0] += 1

    try:
        with Connection(amqp) as conn, conn.Consumer(queue, callbacks=[got]):
            producer = conn.Producer(serializer="json")
            began = time.perf_counter()
            for i in range(n):
                producer.publish({"i": i}, exchange=exchange, routing_key="bench", declare=[queue])
            while received[0] < n:
                conn.drain_events(timeout=10)
            return n / (time.perf_counter() - began)
    finally:
        drop()
