"""Re-matching benchmark (issue 19): how long a need waits for its proposal in one region
while capacity frees up in another where many needs wait. Prints a table; never a test.

Two runs, each on a fresh database and vhost with one matching process fed events straight
from here (no gateway, no pledges), timing each need from its `need_posted` to the
`match_proposed` about it (a queue of this bench bound to matching's events):

- quiet: needs posted at 10/s in children/riga, where a free offer of 200 waits;
- busy: the same, while 300 needs wait in children/latgale, 60 of them holding proposals
  from an offer of 60; those 60 are cancelled six at a time, once a second, and a small
  offer appears in children/kurzeme halfway. Each cancellation frees a place in latgale,
  which goes to the next latgale need waiting.

    .venv/bin/python bench/rematch.py [--needs 150] [--rate 10] [--waiting 300]

Needs RabbitMQ's management API (for the throw-away vhosts), as the tests do.
"""

import argparse
import queue
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from kombu import Connection, Queue

ROOT = Path(__file__).resolve().parents[1]
# bench/matching.py is named like the service package: keep bench/ off the import path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from nameko.events import get_event_exchange  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from stack import Stack  # noqa: E402
from testbed import make_vhost, require_management_api, start_nx  # noqa: E402

from tilts_contracts.events import envelope  # noqa: E402
from tilts_contracts.settings import from_env  # noqa: E402

HOLDING, BATCH = 60, 6  # latgale needs holding proposals; cancelled this many at a time


def uid(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class Proposals:
    """Every match_proposed matching publishes, with the moment it arrived here."""

    def __init__(self, amqp: str):
        self.seen: queue.Queue = queue.Queue()
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._consume, args=(amqp,), daemon=True)
        self.thread.start()
        self.ready.wait(30)

    def _consume(self, amqp: str) -> None:
        exchange = get_event_exchange("matching", {})
        bound = Queue(uid("bench-proposals"), exchange, "match_proposed", auto_delete=True)
        with Connection(amqp) as conn, conn.Consumer(bound, callbacks=[self._arrived]):
            self.ready.set()
            while not self.stop.is_set():
                try:
                    conn.drain_events(timeout=0.2)
                except TimeoutError:
                    continue

    def _arrived(self, body, message) -> None:
        self.seen.put((time.perf_counter(), body["payload"]["need_id"]))
        message.ack()

    def drain(self) -> list[tuple[float, str]]:
        got = []
        while not self.seen.empty():
            got.append(self.seen.get())
        return got


class World:
    """Sends what the registry and pledges would."""

    def __init__(self, amqp: str):
        self.send = event_dispatcher({"AMQP_URI": amqp})

    def org(self) -> str:
        org = {"id": uid("org"), "name": "bench", "email": "b@ex.org"}
        org.update(status="verified", revision=2)
        self.send("registry", "organisation_verified", envelope("organisation_verified", org))
        return org["id"]

    def offer(self, org_id: str, region: str, capacity: int) -> dict:
        offer = {"id": uid("off"), "organisation_id": org_id, "domain": "children"}
        offer.update(title="o", capacity=capacity, remaining=capacity, regions=[region])
        offer.update(languages=[], status="active", public=True, revision=1)
        self.send("pledges", "offer_pledged", envelope("offer_pledged", offer))
        return offer

    def need(self, region: str) -> dict:
        need = {"id": uid("need"), "domain": "children", "title": "n", "region": region}
        need.update(languages=[], quantity=1, urgency="normal", status="open", revision=1)
        self.send("pledges", "need_posted", envelope("need_posted", need))
        return need

    def cancel(self, need: dict) -> None:
        cancelled = {**need, "status": "cancelled", "revision": 2}
        self.send("pledges", "need_cancelled", envelope("need_cancelled", cancelled))


def wait_for(what, timeout: float, why: str) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting: {why}")
        time.sleep(0.2)


def backlog(world: World, db, waiting: int) -> list[dict]:
    """`waiting` needs in latgale, the first HOLDING of them asked: those that hold."""
    world.offer(world.org(), "latgale", HOLDING)
    time.sleep(1)
    needs = [world.need("latgale") for _ in range(waiting)]
    wait_for(
        lambda: (
            db.needs.count_documents({"region": "latgale", "gap_reported": 0}) == waiting - HOLDING
        ),
        300,
        "the latgale needs to be matched or reported as gaps",
    )
    holding = {m["need_id"] for m in db.matches.find({"status": "proposed"}, {"need_id": 1})}
    return [n for n in needs if n["id"] in holding]


def stream(world: World, proposals: Proposals, needs: int, rate: float, holding: list[dict]):
    """Post `needs` riga needs at `rate`/s, cancelling the holding needs a batch a second
    and pledging a small kurzeme offer halfway; each riga need's seconds to its proposal."""
    posted: dict[str, float] = {}
    batches = [holding[i : i + BATCH] for i in range(0, len(holding), BATCH)]
    began = time.perf_counter()
    for n in range(needs):
        at = began + n / rate
        time.sleep(max(0.0, at - time.perf_counter()))
        if n % int(rate) == 0 and batches:
            for need in batches.pop(0):
                world.cancel(need)
        if n == needs // 2 and holding:
            world.offer(world.org(), "kurzeme", 2)
        posted[world.need("riga")["id"]] = time.perf_counter()
    arrived: dict[str, float] = {}
    deadline = time.monotonic() + 600
    while len(arrived) < needs and time.monotonic() < deadline:
        time.sleep(0.2)
        arrived.update((i, t) for t, i in proposals.drain() if i in posted and i not in arrived)
    if len(arrived) < needs:
        raise RuntimeError(f"only {len(arrived)} of {needs} riga needs got a proposal")
    return [arrived[i] - posted[i] for i in posted]


def run(tmp: Path, needs: int, rate: float, waiting: int) -> dict:
    """One run on a fresh stack; `waiting` 0 is the quiet run."""
    amqp, drop = make_vhost()
    mongo, nx = start_nx(tmp / f"nx-{waiting}")
    env = {**from_env({}), "AMQP_URI": amqp, "MONGO_URI": mongo}
    stack = Stack(env, tmp / f"w-{waiting}", workers={"matching": 1})
    try:
        stack.start_services(("matching",))
        time.sleep(4)
        world, db = World(amqp), MongoClient(mongo).tilts_matching
        proposals = Proposals(amqp)
        world.offer(world.org(), "riga", 200)
        holding = backlog(world, db, waiting) if waiting else []
        proposals.drain()
        seconds = stream(world, proposals, needs, rate, holding)

        def latgale_rematched() -> bool:
            asked = {"status": "proposed", "need.region": "latgale"}
            return db.matches.count_documents(asked) == (HOLDING if waiting else 0)

        began = time.perf_counter()
        wait_for(latgale_rematched, 600, "the places freed in latgale to be proposed again")
        proposals.stop.set()
        return {"seconds": seconds, "settled": time.perf_counter() - began}
    finally:
        stack.stop()
        nx.terminate()
        drop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=150)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--waiting", type=int, default=300)
    args = parser.parse_args()
    require_management_api()
    with tempfile.TemporaryDirectory() as tmp:
        quiet = run(Path(tmp), args.needs, args.rate, 0)
        busy = run(Path(tmp), args.needs, args.rate, args.waiting)
    rows = []
    for label, result in (("nothing waiting", quiet), (f"{args.waiting} waiting", busy)):
        ms = [s * 1000 for s in result["seconds"]]
        rows += [
            (f"need -> proposal p50 ms, {label}", statistics.median(ms)),
            (f"need -> proposal p95 ms, {label}", percentile(ms, 0.95)),
            (f"need -> proposal max ms, {label}", max(ms)),
        ]
    rows.append(("latgale re-matched, s after the last riga need", busy["settled"]))
    print(f"{'measure':<56}{'value':>12}")
    for label, value in rows:
        print(f"{label:<56}{value:>12.1f}")


if __name__ == "__main__":
    main()
