"""A short-lived cache of list answers, per gateway process: many readers of one list
cost one RPC every TTL seconds, not one each, and one JSON encoding.

An answer is kept under everything that can change it: the caller's audience (staff, or
one organisation) and the exact arguments of the backend call, which for an
organisation always name its own id; the backend is told nothing else, so two callers
with one key get the same answer from it too. The events that change a list (an offer
pledged, edited, withdrawn or its capacity taken or given back by a match; an
organisation verified, suspended or changed) empty every gateway process's cache, and
a write through this process empties it at once. An event missed (a reconnection) or
still on its way costs at most TTL: no answer is served older than that.
"""

import json
import time

from nameko.extensions import DependencyProvider

TTL = 2.0  # seconds; DESIGN's API docs promise no older list than this
MOST = 200  # answers kept; past that the expired go, and if none has, all of them

EMPTIED_BY = (
    "offer_pledged",
    "offer_updated",
    "offer_withdrawn",
    "organisation_verified",
    "organisation_suspended",
    "organisation_updated",
    # pledges counts an offer's `remaining` from these without an offer event
    "match_proposed",
    "match_accepted",
    "match_declined",
    "match_expired",
    "match_fulfilled",
    "match_cancelled",
)


def audience(caller) -> str:
    """Who an answer may be shown to: every staff member alike, or one organisation."""
    return "staff" if caller.is_staff else f"{caller.role}:{caller.org}"


class Lists:
    """Encoded answers by key, each kept TTL seconds."""

    def __init__(self):
        self.entries: dict = {}
        self.generation = 0  # an answer fetched across an emptying is not kept

    def fetch(self, key: tuple, load) -> str:
        """The JSON kept for `key`, or `load()`'s answer encoded, then kept."""
        entry = self.entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        generation = self.generation
        body = json.dumps(load(), ensure_ascii=False)
        if generation == self.generation:
            self._make_room()
            self.entries[key] = (time.monotonic() + TTL, body)
        return body

    def _make_room(self) -> None:
        if len(self.entries) < MOST:
            return
        now = time.monotonic()
        self.entries = {k: e for k, e in self.entries.items() if e[0] > now}
        if len(self.entries) >= MOST:
            self.entries.clear()

    def empty(self) -> None:
        self.generation += 1
        self.entries.clear()


class ListCache(DependencyProvider):
    """One `Lists` per gateway process, shared by its workers."""

    def setup(self):
        self.lists = Lists()

    def get_dependency(self, worker_ctx):
        return self.lists
