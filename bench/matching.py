"""Matching benchmark: per-need latency with 1k, 10k and 100k active offers, and needs
matched per second with 1 and 2 worker processes. Prints a table; never a test.

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

ROOT = Path(__file__).resolve().parents[1]
# this file is named like the service package: keep bench/ off the import path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from nameko.standalone.events import event_dispatcher  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from stack import Stack  # noqa: E402
from testbed import make_vhost, start_nx  # noqa: E402

from matching import domain  # noqa: E402
from matching.storage import MatchingStore, with_open_ends  # noqa: E402
from tilts_contracts.clock import utcnow  # noqa: E402
from tilts_contracts.events import envelope  # noqa: E402
from tilts_contracts.settings import from_env  # noqa: E402
from tilts_contracts.taxonomy import DOMAINS, REGIONS  # noqa: E402

LANGS = ["lv", "ru", "en", "uk", "ar"]


def offers(n: int, rng: random.Random) -> list[dict]:
    docs = []
    for i in range(n):
        docs.append(
            with_open_ends(
                {
                    "_id": f"off_{i:012x}{uuid.uuid4().hex[:8]}",
                    "organisation_id": f"org_{i % 500:012x}",
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


def candidate_latency(mongo: str, size: int, samples: int = 200) -> tuple[float, float, float]:
    """Median and p95 milliseconds to find and rank the candidates of one need, and the
    seconds a starting worker takes to build the candidate slots of offers stored without."""
    rng = random.Random(size)
    db = MongoClient(mongo)[f"bench_{size}"]
    store = MatchingStore(db)
    docs = offers(size, rng)
    for start in range(0, size, 5000):
        db.offers.insert_many(docs[start : start + 5000])
    began = time.perf_counter()
    store.ensure_indexes()  # as on an upgrade: the offers are there, their slots not yet
    backfill = time.perf_counter() - began
    today = utcnow().date()
    timings = []
    for _ in range(samples):
        n = need(rng)
        began = time.perf_counter()
        found = store.candidate_offers(n, today.isoformat())
        domain.rank(found, n, n["quantity"], {}, set(), today)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], backfill


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
        send(
            "registry",
            "organisation_verified",
            envelope(
                "organisation_verified",
                {
                    "id": "org_000000000001",
                    "name": "bench",
                    "email": "b@ex.org",
                    "status": "verified",
                    "revision": 2,
                },
            ),
        )
        for i in range(20):
            send(
                "pledges",
                "offer_pledged",
                envelope(
                    "offer_pledged",
                    {
                        "id": f"off_{i:012x}",
                        "organisation_id": "org_000000000001",
                        "domain": "social",
                        "title": "o",
                        "capacity": 10_000,
                        "remaining": 10_000,
                        "regions": ["riga"],
                        "languages": [],
                        "status": "active",
                        "public": True,
                        "revision": 1,
                    },
                ),
            )
        time.sleep(2)
        db = MongoClient(mongo).tilts_matching
        began = time.perf_counter()
        for _ in range(needs):
            send(
                "pledges",
                "need_posted",
                envelope(
                    "need_posted",
                    {
                        "id": f"need_{uuid.uuid4().hex[:20]}",
                        "domain": "social",
                        "title": "n",
                        "region": "riga",
                        "languages": [],
                        "quantity": 1,
                        "urgency": "normal",
                        "status": "open",
                        "revision": 1,
                    },
                ),
            )
        while db.matches.count_documents({}) < needs:
            if time.perf_counter() - began > 600:
                raise RuntimeError("matching did not keep up within 10 minutes")
            time.sleep(0.2)
        return needs / (time.perf_counter() - began)
    finally:
        stack.stop()
        nx.terminate()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--mid", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mongo, nx = start_nx(Path(tmp) / "nx")
        try:
            small = candidate_latency(mongo, args.small)
            mid = candidate_latency(mongo, args.mid)
            big = candidate_latency(mongo, args.big)
        finally:
            nx.terminate()
        one = throughput(1, args.needs, Path(tmp))
        two = throughput(2, args.needs, Path(tmp))
    print(f"{'measure':<44}{'value':>12}")
    print(f"{f'candidates+rank, {args.small} offers, median ms':<44}{small[0]:>12.2f}")
    print(f"{f'candidates+rank, {args.small} offers, p95 ms':<44}{small[1]:>12.2f}")
    print(f"{f'candidates+rank, {args.mid} offers, median ms':<44}{mid[0]:>12.2f}")
    print(f"{f'candidates+rank, {args.big} offers, median ms':<44}{big[0]:>12.2f}")
    print(f"{f'candidates+rank, {args.big} offers, p95 ms':<44}{big[1]:>12.2f}")
    print(f"{'slowdown big/small (median)':<44}{big[0] / small[0]:>12.2f}")
    print(f"{'slowdown big/mid (median)':<44}{big[0] / mid[0]:>12.2f}")
    print(f"{f'slot backfill at start-up, {args.big} offers, s':<44}{big[2]:>12.1f}")
    print(f"{'needs matched/s, 1 worker':<44}{one:>12.1f}")
    print(f"{'needs matched/s, 2 workers':<44}{two:>12.1f}")


if __name__ == "__main__":
    main()
