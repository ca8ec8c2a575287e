"""The needs waiting for capacity, in the order freed capacity goes to them.

A need that waits (open or unmatched, and not fully covered) is queued under its working
group and region (`queue`, e.g. `children|latgale`) with a rank that puts the most urgent
first, then the oldest (`queue_rank`, e.g. `0|need_…`: need ids sort by when they were
made). Capacity an offer frees is offered to the queues of the offer's regions (every
region for a nationwide offer) in rank order, a page at a time, until it is used: one
equality and one range on an index, however many needs wait.

The queue fields travel with the need: every whole write of a need (insert, replace)
carries them, the cover that fills a need clears them, and giving capacity back sets
them again. An entry may outlive its wait (a cover that could not tell it filled the
need): it is read, found not waiting and cleared, never acted on. A need that waits is
never left out of its queue.
"""

import heapq
from collections.abc import Iterable, Iterator

from pymongo import ASCENDING

from tilts_contracts.lifecycles import WAITING_NEED
from tilts_contracts.taxonomy import NATIONWIDE, REGIONS, URGENCIES
from tilts_runtime.store import VERSION

URGENCY_ORDER = {urgency: n for n, urgency in enumerate(URGENCIES)}  # critical first
PAGE = 10  # needs read at a time from one queue; freed capacity is usually a few places


def queue_key(domain_slug: str, region: str) -> str:
    return f"{domain_slug}|{region}"


def waits(need: dict) -> bool:
    """Whether a need waits for capacity: open or unmatched, and not fully covered."""
    return need["status"] in WAITING_NEED and need["covered"] < need["quantity"]


def queue_fields(need: dict) -> dict:
    """The need's place in its queue: the key while it waits (else None), and its rank."""
    urgency = URGENCY_ORDER.get(need.get("urgency") or "normal", URGENCY_ORDER["normal"])
    return {
        "queue": queue_key(need["domain"], need["region"]) if waits(need) else None,
        "queue_rank": f"{urgency}|{need['_id']}",
    }


def queues_served_by(offer: dict) -> list[str]:
    """The queues of the regions an offer serves: every region for a nationwide one."""
    regions = offer.get("regions") or []
    served = list(REGIONS) if NATIONWIDE in regions else regions
    return [queue_key(offer["domain"], region) for region in dict.fromkeys(served)]


class WaitingNeeds:
    """The queues of MatchingStore (a mixin, before Store: it adds the queue fields to
    every whole write of a need)."""

    def index_waiting(self) -> None:
        self.db.needs.create_index([("queue", ASCENDING), ("queue_rank", ASCENDING)])
        # the key alone too, as for the offer slots: NX-27017 uses an index for an
        # equality only when the field has one of its own
        self.db.needs.create_index([("queue", ASCENDING)])

    def insert(self, collection: str, doc: dict, event_types: Iterable = (), audit=()) -> dict:
        if collection == "needs":
            doc = {**doc, **queue_fields(doc)}
        return super().insert(collection, doc, event_types, audit)

    def replace(self, collection: str, doc: dict, event_types: Iterable = (), audit=()) -> dict:
        if collection == "needs":
            doc = {**doc, **queue_fields(doc)}
        return super().replace(collection, doc, event_types, audit)

    def waiting_in(self, keys: list[str], page: int = PAGE) -> Iterator[dict]:
        """The needs waiting in the queues `keys`, most urgent then oldest first across
        them all, read a page at a time; an entry that outlived its wait is cleared."""
        queued = heapq.merge(
            *(self._queued(key, page) for key in keys), key=lambda n: n["queue_rank"]
        )
        for need in queued:
            if waits(need):
                yield need
            else:
                self.requeue(need)

    def _queued(self, key: str, page: int) -> Iterator[dict]:
        after = ""
        while True:
            query = {"queue": key, "queue_rank": {"$gt": after}}
            docs = list(self.db.needs.find(query).sort("queue_rank", ASCENDING).limit(page))
            yield from docs
            if len(docs) < page:
                return
            after = docs[-1]["queue_rank"]

    def requeue(self, need: dict | None) -> None:
        """Bring a need's queue fields level with the need, given as last read: the write
        is conditional on that version, so it is read again while others write it."""
        for _ in range(20):
            if need is None:
                return
            fields = queue_fields(need)
            if all(need.get(k) == v for k, v in fields.items()):
                return
            # `_version` stays: this write changes no state, only where the need is found
            done = self.db.needs.update_one(
                {"_id": need["_id"], VERSION: need[VERSION]}, {"$set": fields}
            )
            if done.matched_count:
                return
            need = self.db.needs.find_one({"_id": need["_id"]})

    def queue_all_needs(self) -> None:
        """Queue the needs stored before the queues existed (an upgrade), at start-up."""
        for need in self.db.needs.find({"queue_rank": {"$exists": False}}):
            self.requeue(need)
