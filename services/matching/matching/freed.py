"""Capacity an event freed, offered to the waiting needs after the needs just posted.

An event that frees or adds capacity (an offer pledged, raised or renewed, a decline, an
expiry, a cancelled need, an organisation verified) notes the offer in `freed_capacity`
and is done; a timer then offers what the offer has free to the needs waiting for it
(`Followups.rematch_offer`), one offer at a time, stepping aside while this process
matches a need just posted. Someone is waiting on a new need's first request; a place
freed in a queue of waiting needs can follow a moment later, and during a gap the two
would otherwise share one worker pool, one database and one notify, first come first.

A need posted in that moment may take the capacity first, as its round could when it ran
beside the event's. A note is stored before its event is acknowledged, so a worker that
dies loses none; a lease keeps two workers off one offer (both would be safe, only twice
the work), and a note freed again while it is being offered stays for the next pass.
"""

import time
from collections.abc import Iterable

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import new_id

LEASE = 60.0  # seconds: a worker that died holding a note, another takes it then
PASS = 100  # notes read per pass of the timer
STEP_ASIDE_AT_MOST = 0.5  # seconds a re-match waits for new needs, so it never starves
QUIET = 0.25  # seconds with no new need after which re-matching goes on
SHARE = 1  # re-matching waits at most as long as it worked: half the time at worst
STALE = 10.0  # seconds after which a round is not waited for (its worker is lost)
FIRST_ROUNDS = ("on_need_posted",)  # the entrypoints re-matching steps aside for


class FreedCapacity:
    """The notes of MatchingStore (a mixin; `self.db` is matching's database)."""

    def index_freed(self) -> None:
        self.db.freed_capacity.create_index([("mark", ASCENDING)])

    def note_freed(self, offer_ids: Iterable[str]) -> None:
        """Note that these offers may have capacity for the needs waiting."""
        for offer_id in sorted(set(offer_ids)):
            mark = {"$set": {"mark": new_id("frd")}}
            try:
                self.db.freed_capacity.update_one(
                    {"_id": offer_id}, {**mark, "$setOnInsert": {"lease": 0}}, upsert=True
                )
            except DuplicateKeyError:  # another worker noted it at the same moment
                self.db.freed_capacity.update_one({"_id": offer_id}, mark)

    def freed_notes(self, limit: int = PASS) -> list[dict]:
        """The notes no live worker holds, the one noted longest ago first."""
        query = {"lease": {"$lt": time.time()}}  # Unix time: leases are about real time
        return list(self.db.freed_capacity.find(query).sort("mark", ASCENDING).limit(limit))

    def lease_freed(self, note: dict) -> bool:
        """Take `note` (as read) for this worker, unless another took it meanwhile."""
        now = time.time()
        taken = self.db.freed_capacity.update_one(
            {"_id": note["_id"], "lease": {"$lt": now}}, {"$set": {"lease": now + LEASE}}
        )
        return bool(taken.modified_count)

    def done_freed(self, note: dict) -> None:
        """The offer was offered; a note freed again meanwhile is kept, lease let go."""
        gone = self.db.freed_capacity.delete_one({"_id": note["_id"], "mark": note["mark"]})
        if not gone.deleted_count:
            self.db.freed_capacity.update_one({"_id": note["_id"]}, {"$set": {"lease": 0}})


class NewNeeds(DependencyProvider):
    """The needs just posted this process is matching, for re-matching to wait on: while
    they come, the proposals, emails and writes of a re-match would delay theirs."""

    def setup(self):
        self.running: dict[int, float] = {}  # worker -> when it began
        self.last = 0.0  # when the last one began
        self.resumed = 0.0  # when re-matching last stopped waiting

    def worker_setup(self, worker_ctx):
        if worker_ctx.entrypoint.method_name in FIRST_ROUNDS:
            self.last = time.monotonic()
            # nameko skips the teardown of a worker whose result handling failed: a
            # round older than STALE is not one to wait for
            self.running = {k: v for k, v in self.running.items() if self.last - v < STALE}
            self.running[id(worker_ctx)] = self.last

    def worker_teardown(self, worker_ctx):
        self.running.pop(id(worker_ctx), None)

    def get_dependency(self, worker_ctx):
        return self

    def busy(self, now: float) -> bool:
        fresh = any(now - began < STALE for began in self.running.values())
        return fresh or now - self.last < QUIET

    def step_aside(self) -> None:
        """Wait (cooperatively) while new needs come: while a round for one runs or until
        none came for QUIET seconds, but never longer than SHARE times what re-matching
        worked since it last waited, nor STEP_ASIDE_AT_MOST: a steady stream of needs
        slows re-matching down, it never stops it."""
        now = time.monotonic()
        until = now + min(STEP_ASIDE_AT_MOST, SHARE * (now - self.resumed))
        while now < until and self.busy(now):
            time.sleep(0.01)
            now = time.monotonic()
        self.resumed = time.monotonic()
