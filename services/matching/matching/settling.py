"""How a proposed match moves on: an answer, a cancellation, and giving back what it held.

A match that releases its capacity (declined, expired, cancelled) is first stored as
`settling`, then its capacity goes back to the offer and the need, then it is announced.
Each step happens once however often it runs, so the sweep (`Followups.sweep`) can finish
what a worker that died midway left settling.
"""

from collections.abc import Callable
from datetime import datetime

from tilts_contracts.lifecycles import OPEN_MATCH
from tilts_runtime.audit import entry
from tilts_runtime.store import Dispatch

from . import rules
from .storage import MatchingStore


class Settling:
    """Answers and cancellations of matches, stored and announced."""

    def __init__(self, store: MatchingStore, dispatch: Dispatch, now: Callable[[], datetime]):
        self.store, self.dispatch, self.now = store, dispatch, now

    def answer(
        self,
        match_id: str,
        action: str,
        organisation_id: str | None,
        by: str | None = None,
        said: dict | None = None,
    ) -> dict:
        """Move a match on as `action` says (accept, decline, expire, fulfil); the match
        as stored, with who did it (`by`, a person's account) in the audit log. The write
        is conditional on the version read, so of two workers settling the same match
        only one gets to release its capacity."""
        after = rules.ANSWERS[action][1]
        releasing = rules.releases(after)

        def decide(match: dict) -> dict:
            if action in ("accept", "fulfil"):
                rules.check_need_open(self.store.get_need(match["need_id"]), match)
            answered = rules.answer(match, action, self.now(), organisation_id, said)
            return {**answered, "settling": True} if releasing else answered

        events = [] if releasing else [f"match_{after}"]
        audit = entry(by, f"match_{after}", match_id) if by else None
        stored = self.store.change("matches", match_id, decide, events, self.dispatch, audit)
        if releasing:
            return self.give_back(match_id, stored)
        self.store.count_outcome(stored)
        return stored

    def cancel_if_proposed(self, match_id: str) -> bool:
        return self._cancel_if(match_id, ("proposed",))

    def cancel_if_open(self, match_id: str) -> bool:
        """Cancel a proposed or accepted match (its need went away)."""
        return self._cancel_if(match_id, OPEN_MATCH)

    def _cancel_if(self, match_id: str, statuses: tuple[str, ...]) -> bool:
        """Cancel the match if it is in one of `statuses`; whether this call cancelled it."""

        def decide(match: dict) -> dict | None:
            if match["status"] not in statuses:
                return None
            return {**rules.cancel(match, self.now()), "settling": True}

        stored, cancelled = change_saying(self.store, "matches", match_id, decide)
        if cancelled:
            self.give_back(match_id, stored)
        return cancelled

    def give_back(self, match_id: str, match: dict | None = None) -> dict:
        """Give an ended match's capacity back to its offer and need, then announce it;
        each step happens once however often this runs. `match` is the match as just
        stored settling, when the caller has it."""
        match = match or self.store.get_match(match_id)
        given = self.store.give_back(match)

        def announce(current: dict) -> dict | None:
            if not current.get("settling"):
                return None  # announced already, by a worker running beside this one
            offer = given or self.store.get_offer(current["offer_id"])
            done = {k: v for k, v in current.items() if k != "settling"}
            return {**done, **rules.offer_counts(offer)}

        events = [f"match_{match['status']}"]  # a settling match's status is final
        stored, announced = change_saying(
            self.store, "matches", match_id, announce, events, self.dispatch
        )
        if announced:
            self.store.count_outcome(stored)
        return stored


def change_saying(store, collection, doc_id, decide, events=(), dispatch=None):
    """`store.change`, and whether `decide` chose a new state (this call wrote it)."""
    chose = [False]

    def deciding(doc: dict) -> dict | None:
        new = decide(doc)
        chose[0] = new is not None and new is not doc
        return new

    return store.change(collection, doc_id, deciding, events, dispatch), chose[0]
