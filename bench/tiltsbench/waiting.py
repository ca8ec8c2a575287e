"""Needs waiting in one working group, and the capacity events that free places there."""

import random
import threading
import time
from dataclasses import dataclass

from .burst import post_all
from .common import coordinator, offer, organisation, run_name

DOMAIN, REGION = "children", "latgale"
BIG, SMALL = 60, 10  # places the waiting group's offers hold at the start


@dataclass
class Waiting:
    org: str
    big_offer: str
    small_offers: list[str]
    holding: list[tuple[str, str]]  # (need id, match id) of needs holding a proposal


def fill_waiting(stack, needs: int) -> Waiting:
    """`needs` needs posted in children/latgale, where offers hold BIG + SMALL places:
    that many get proposals, the rest wait."""
    url = stack.url
    org = organisation(url, "Gaidītāju biedrība", "wait@example.org", DOMAIN, REGION)
    big = offer(url, org, DOMAIN, REGION, BIG)
    small = [offer(url, org, DOMAIN, REGION, 1) for _ in range(SMALL)]
    time.sleep(2)  # the offers reach matching before the needs do
    refused: list[str] = []
    run = run_name()
    for client in post_all(url, [f"wait {run} {n}" for n in range(needs)], refused, DOMAIN, REGION):
        client.join()
    if refused:
        raise RuntimeError(f"the gateway refused a waiting need: {refused[0]}")
    db, deadline = stack.db("matching"), time.monotonic() + 600
    while db.needs.count_documents({"domain": DOMAIN}) < needs:
        if time.monotonic() > deadline:
            raise RuntimeError("matching did not store every waiting need in 10 minutes")
        time.sleep(0.5)
    proposed = db.matches.find({"status": "proposed"}, {"need_id": 1})
    return Waiting(org, big, small, [(m["need_id"], m["_id"]) for m in proposed])


class CapacityEvents:
    """100 events freeing or adding places in the waiting group, `per_second`, begun
    when `go` is set: 40 cancellations of needs holding proposals, 20 declines, 20
    offers pledged, 10 raised, 10 withdrawn (in a shuffled order)."""

    def __init__(self, url: str, world: Waiting, per_second: float):
        self.url, self.world, self.rate = url, world, per_second
        self.go, self.refused = threading.Event(), []
        self.plan = self._plan()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _plan(self) -> list[tuple[str, str, dict | None]]:
        """(method, path, body) of every event."""
        held, big = self.world.holding, self.world.big_offer
        if len(held) < 60:
            raise RuntimeError(f"only {len(held)} needs hold proposals; 60 are needed")
        plan = [("POST", f"/api/needs/{need}/cancel", None) for need, _ in held[:40]]
        plan += [("POST", f"/api/matches/{match}/decline", None) for _, match in held[40:60]]
        plan += [("PLEDGE", "", None)] * 20
        plan += [("PATCH", f"/api/offers/{big}", {"capacity": BIG + k}) for k in range(1, 11)]
        plan += [
            ("POST", f"/api/offers/{o}/withdraw?force=true", None) for o in self.world.small_offers
        ]
        random.Random(19).shuffle(plan)
        raises = iter(sorted((p for p in plan if p[0] == "PATCH"), key=lambda p: p[2]["capacity"]))
        return [next(raises) if p[0] == "PATCH" else p for p in plan]  # capacity only grows

    def _run(self) -> None:
        plan, session = self.plan, coordinator()
        self.go.wait()
        began = time.perf_counter()
        for n, (method, path, body) in enumerate(plan):
            time.sleep(max(0.0, began + n / self.rate - time.perf_counter()))
            if method == "PLEDGE":
                offer(self.url, self.world.org, DOMAIN, REGION, 1)
                continue
            reply = session.request(method, f"{self.url}{path}", json=body)
            if reply.status_code >= 300:
                self.refused.append(f"{method} {path}: {reply.status_code} {reply.text[:120]}")

    def join(self) -> None:
        self.thread.join()
        if self.refused:
            print(f"  ({len(self.refused)} capacity events refused, first: {self.refused[0]})")
