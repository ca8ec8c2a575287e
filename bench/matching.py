"""Matching benchmark: per-need latency with 1k, 10k and 100k active offers, and needs
matched per second with 1 and 2 worker processes. Prints a table; never a test.

Per-need latency is measured twice on the same offers: the candidate query and ranking
alone, then the whole `on_need_posted` handler as a worker runs it (storing the need,
candidates, organisation stats, ranking, reservation, the match and its outbox), with
only the event dispatcher mocked.

    .venv/bin/python bench/matching.py [--mid 10000] [--big 100000] [--needs 300]

Starts its own NX-27017 and uses a throw-away RabbitMQ vhost (needs the management API).
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
# this file is named like the service package: keep bench/ off the import path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from nameko.standalone.events import event_dispatcher  # noqa: E402
from nameko.testing.services import worker_factory  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from stack import Stack  # noqa: E402
from testbed import make_vhost, require_management_api, start_nx  # noqa: E402

from matching import rules  # noqa: E402
from matching.service import MatchingService  # noqa: E402
from matching.storage import MatchingStore, with_open_ends  # noqa: E402
from tilts_contracts.clock import utcnow  # noqa: E402
from tilts_contracts.events import envelope  # noqa: E402
from tilts_contracts.settings import from_env  # noqa: E402
from tilts_contracts.taxonomy import DOMAINS, REGIONS  # noqa: E402

LANGS = ["lv", "ru", "en", "uk", "ar"]
ORGS = 500


def offers(n: int, rng: random.Random) -> list[dict]:
    docs = []
    for i in range(n):
        docs.append(
            with_open_ends(
                {
                    "_id": f"off_{i:012x}{uuid.uuid4().hex[:8]}",
                    "organisation_id": f"org_{i % ORGS:012x}",
                    "domain": rng.choice(list(DOMAINS)),
                    "status": "active",
                    "org_status": "verified",
                    "regions": [rng.choice(list(REGIONS) + ["nationwide"])],
                    "languages": rng.sample(LANGS, 2),
                    "capacity": 50,
                    "remaining": rng.randint(1, 50),
                    "_version": 1,
                }
            )
        )
    return docs


def need(rng: random.Random) -> dict:
    return {
        "_id": f"need_{uuid.uuid4().hex[:20]}",
        "domain": rng.choice(list(DOMAINS)),
        "region": rng.choice(list(REGIONS)),
        "languages": [rng.choice(LANGS)],
        "quantity": rng.randint(1, 5),
        "covered": 0,
        "urgency": "normal",
    }


def median_p95(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def populate(mongo: str, size: int, rng: random.Random) -> tuple[MatchingStore, float]:
    """A matching database with `size` active offers of verified organisations, and the
    seconds a starting worker takes to build the candidate slots of offers stored without."""
    store = MatchingStore(MongoClient(mongo)[f"bench_{size}"])
    for i in range(ORGS):  # before the offers: nothing to update on them yet
        org = {"id": f"org_{i:012x}", "name": f"org {i}", "email": f"o{i}@ex.org"}
        store.record_organisation({**org, "status": "verified", "revision": 2})
    docs = offers(size, rng)
    for start in range(0, size, 5000):
        store.db.offers.insert_many(docs[start : start + 5000])
    began = time.perf_counter()
    store.ensure_indexes()  # as on an upgrade: the offers are there, their slots not yet
    return store, time.perf_counter() - began


def candidate_latency(
    store: MatchingStore, rng: random.Random, samples: int = 200
) -> tuple[float, float]:
    """Median and p95 milliseconds to find and rank the candidates of one need."""
    today = utcnow().date()
    timings = []
    for _ in range(samples):
        n = need(rng)
        began = time.perf_counter()
        found = store.candidate_slots(n, today.isoformat())
        rules.rank(found, n, n["quantity"], {}, set(), today)
        timings.append((time.perf_counter() - began) * 1000)
    return median_p95(timings)


def whole_path_latency(
    store: MatchingStore, rng: random.Random, samples: int = 200
) -> tuple[float, float, float]:
    """Median and p95 milliseconds of MatchingService.on_need_posted per need, as a worker
    runs it with only the dispatcher mocked, and the share of the needs fully covered."""
    clock = SimpleNamespace(respond_hours=rules.DEFAULT_RESPOND_HOURS)
    service = worker_factory(MatchingService, store=store, clock=clock, clock_movable=False)
    timings, ids = [], []
    for _ in range(samples):
        n = need(rng)
        payload = {
            **{k: n[k] for k in ("domain", "region", "languages", "quantity", "urgency")},
            "id": n["_id"],
            "title": "bench",
            "status": "open",
            "revision": 1,
        }
        event = envelope("need_posted", payload)
        began = time.perf_counter()
        service.on_need_posted(event)
        timings.append((time.perf_counter() - began) * 1000)
        ids.append(n["_id"])
    parked = store.db.parked_events.count_documents({})
    if parked:  # the handler parks what fails: its time would not be a matching time
        raise RuntimeError(f"{parked} need_posted events parked instead of matched")
    held = list(store.db.needs.find({"_id": {"$in": ids}}))
    if len(held) != samples or not store.db.matches.find_one({"need_id": {"$in": ids}}):
        raise RuntimeError("the needs were not stored or nothing was proposed")
    covered = sum(1 for d in held if d["covered"] >= d["quantity"]) / samples
    return *median_p95(timings), covered


def organisation_and_offers(send) -> None:
    """A verified organisation with 20 big offers in social/riga, as events."""
    org = {"id": "org_000000000001", "name": "bench", "email": "b@ex.org"}
    org.update(status="verified", revision=2)
    send("registry", "organisation_verified", envelope("organisation_verified", org))
    for i in range(20):
        offer = {"id": f"off_{i:012x}", "organisation_id": org["id"], "domain": "social"}
        offer.update(title="o", capacity=10_000, remaining=10_000, regions=["riga"])
        offer.update(languages=[], status="active", public=True, revision=1)
        send("pledges", "offer_pledged", envelope("offer_pledged", offer))


def post_needs(send, needs: int) -> None:
    for _ in range(needs):
        need = {"id": f"need_{uuid.uuid4().hex[:20]}", "domain": "social", "title": "n"}
        need.update(region="riga", languages=[], quantity=1, urgency="normal")
        need.update(status="open", revision=1)
        send("pledges", "need_posted", envelope("need_posted", need))


def throughput(workers: int, needs: int, tmp: Path) -> float:
    """Needs matched per second by `workers` matching processes, events in, proposals out."""
    amqp, drop = make_vhost()
    mongo, nx = start_nx(tmp / f"nx-{workers}")
    stack = Stack(
        {**from_env({}), "AMQP_URI": amqp, "MONGO_URI": mongo},
        tmp / f"w{workers}",
        workers={"matching": workers},
    )
    try:
        stack.start_services(("matching",))
        time.sleep(4)
        send = event_dispatcher({"AMQP_URI": amqp})
        organisation_and_offers(send)
        time.sleep(2)
        db = MongoClient(mongo).tilts_matching
        began = time.perf_counter()
        post_needs(send, needs)
        while db.matches.count_documents({}) < needs:
            if time.perf_counter() - began > 600:
                raise RuntimeError("matching did not keep up within 10 minutes")
            time.sleep(0.2)
        return needs / (time.perf_counter() - began)
    finally:
        stack.stop()
        nx.terminate()
        drop()


def latencies(args, tmp: str) -> dict:
    """Per size: (candidates+rank, whole path, slot backfill seconds)."""
    mongo, nx = start_nx(Path(tmp) / "nx")
    try:
        latency = {}
        for size in (args.small, args.mid, args.big):
            rng = random.Random(size)
            store, backfill = populate(mongo, size, rng)
            latency[size] = (
                candidate_latency(store, rng),
                whole_path_latency(store, rng),
                backfill,
            )
        return latency
    finally:
        nx.terminate()


def table(args, latency: dict, one: float, two: float) -> list[tuple[str, float, int]]:
    (small, small_all, _), (mid, mid_all, _), (big, big_all, backfill) = (
        latency[args.small],
        latency[args.mid],
        latency[args.big],
    )
    rows = [
        (f"candidates+rank, {args.small} offers, median ms", small[0], 2),
        (f"candidates+rank, {args.small} offers, p95 ms", small[1], 2),
        (f"candidates+rank, {args.mid} offers, median ms", mid[0], 2),
        (f"candidates+rank, {args.big} offers, median ms", big[0], 2),
        (f"candidates+rank, {args.big} offers, p95 ms", big[1], 2),
        ("slowdown big/small (median)", big[0] / small[0], 2),
        ("slowdown big/mid (median)", big[0] / mid[0], 2),
        (f"slot backfill at start-up, {args.big} offers, s", backfill, 1),
    ]
    for size, measured in ((args.small, small_all), (args.mid, mid_all), (args.big, big_all)):
        rows += [
            (f"whole path (on_need_posted), {size} offers, median ms", measured[0], 2),
            (f"whole path (on_need_posted), {size} offers, p95 ms", measured[1], 2),
            (f"whole path, {size} offers, needs fully covered %", measured[2] * 100, 0),
        ]
    return rows + [
        ("whole path slowdown big/small (median)", big_all[0] / small_all[0], 2),
        ("whole path slowdown big/small (p95)", big_all[1] / small_all[1], 2),
        ("whole path slowdown big/mid (median)", big_all[0] / mid_all[0], 2),
        ("needs matched/s, 1 worker", one, 1),
        ("needs matched/s, 2 workers", two, 1),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--mid", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=300)
    args = parser.parse_args()
    require_management_api()
    with tempfile.TemporaryDirectory() as tmp:
        latency = latencies(args, tmp)
        one = throughput(1, args.needs, Path(tmp))
        two = throughput(2, args.needs, Path(tmp))
    print(f"{'measure':<56}{'value':>12}")
    for label, value, digits in table(args, latency, one, two):
        print(f"{label:<56}{value:>12.{digits}f}")


if __name__ == "__main__":
    main()
