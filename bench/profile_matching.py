"""Where matching's time goes: storage round trips per handler, and a pyinstrument profile.

Runs matching's handlers in this process (`worker_factory`, a real MatchingStore over a
fresh NX-27017, only the event dispatcher mocked) and counts every command pymongo sends:

- burst: `need_posted` for needs in children/riga, where an offer waits for them;
- freed: `need_cancelled` for latgale needs holding proposals while others wait there,
  each freeing one place the waiting needs may use.

    .venv/bin/python bench/profile_matching.py [--needs 200] [--waiting 300] [--profile]

With --profile, each scenario also prints pyinstrument's call tree (pyinstrument is in
requirements-dev.txt).
"""

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
# this directory holds a matching.py: keep it off the import path, before the service's
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from nameko.testing.services import worker_factory  # noqa: E402
from pymongo import MongoClient, monitoring  # noqa: E402
from testbed import start_nx  # noqa: E402

from matching.rules import DEFAULT_RESPOND_HOURS  # noqa: E402
from matching.service import MatchingService  # noqa: E402
from matching.storage import MatchingStore  # noqa: E402
from tilts_contracts.clock import new_id  # noqa: E402
from tilts_contracts.events import envelope  # noqa: E402

HOLDING = 60


class Commands(monitoring.CommandListener):
    """Counts the commands sent to the database, by name."""

    def __init__(self):
        self.counts: Counter = Counter()

    def started(self, event):
        self.counts[event.command_name] += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def service(mongo: str, commands: Commands):
    client = MongoClient(mongo, event_listeners=[commands])
    store = MatchingStore(client[f"profile_{uuid.uuid4().hex[:8]}"])
    store.ensure_indexes()
    clock = SimpleNamespace(respond_hours=DEFAULT_RESPOND_HOURS)
    return worker_factory(MatchingService, store=store, clock=clock, clock_movable=False)


def org(svc) -> str:
    org_id = new_id("org")
    body = {"id": org_id, "name": "o", "email": "o@ex.org", "status": "verified", "revision": 2}
    svc.on_organisation_verified(envelope("organisation_verified", body))
    return org_id


def offer(svc, region: str, capacity: int) -> None:
    body = {"id": new_id("off"), "organisation_id": org(svc), "domain": "children"}
    body.update(title="o", capacity=capacity, remaining=capacity, regions=[region])
    body.update(languages=[], status="active", public=True, revision=1)
    svc.on_offer_pledged(envelope("offer_pledged", body))


def need(region: str) -> dict:
    body = {"id": new_id("need"), "domain": "children", "title": "n", "region": region}
    body.update(languages=[], quantity=1, urgency="normal", status="open", revision=1)
    return body


def measure(label: str, commands: Commands, calls, profile: bool) -> None:
    """Run `calls` (each one handler call), printing round trips per call and the time."""
    commands.counts.clear()
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    began = time.perf_counter()
    for call in calls:
        call()
    seconds = time.perf_counter() - began
    if profiler:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    n = len(calls)
    per = {name: count / n for name, count in commands.counts.most_common()}
    total = sum(per.values())
    print(f"{label}: {n} calls, {seconds / n * 1000:.1f} ms and {total:.1f} round trips each")
    print("   " + ", ".join(f"{name} {count:.1f}" for name, count in per.items()))


def burst(mongo: str, needs: int, profile: bool) -> None:
    commands = Commands()
    svc = service(mongo, commands)
    offer(svc, "riga", needs)
    events = [envelope("need_posted", need("riga")) for _ in range(needs)]
    calls = [lambda e=e: svc.on_need_posted(e) for e in events]
    measure("need_posted, riga", commands, calls, profile)


def freed(mongo: str, waiting: int, profile: bool) -> None:
    commands = Commands()
    svc = service(mongo, commands)
    offer(svc, "latgale", HOLDING)
    offer(svc, "riga", 10)
    posted = [need("latgale") for _ in range(waiting)]
    for body in posted:
        svc.on_need_posted(envelope("need_posted", body))
    held = {m["need_id"] for m in svc.store.db.matches.find({"status": "proposed"})}
    holding = [n for n in posted if n["id"] in held][:10]
    calls = [
        lambda n=n: svc.on_need_cancelled(
            envelope("need_cancelled", {**n, "status": "cancelled", "revision": 2})
        )
        for n in holding
    ]
    measure(f"need_cancelled, {waiting - HOLDING} waiting", commands, calls, profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--waiting", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mongo, nx = start_nx(Path(tmp) / "nx")
        try:
            burst(mongo, args.needs, args.profile)
            freed(mongo, args.waiting, args.profile)
        finally:
            nx.terminate()


if __name__ == "__main__":
    main()
