"""What an event sets moving once matching has stored what it says: asking elsewhere when
a request is taken back, offering freed capacity to the needs waiting for it, expiring
requests nobody answered.

Each follow-up is decided from the state held after the write, not from whether this
delivery made the write: a delivery that stored its change and then failed is retried,
and the retry must still do what the first one could not finish. Done twice, a
follow-up finds nothing to do.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict

from . import rules
from .round import Round
from .settling import Settling
from .storage import MatchingStore
from .waiting import queues_served_by

log = logging.getLogger(__name__)
# a match still settling this long after its answer was left so by a worker that died
SETTLE_GRACE = timedelta(seconds=30)
SLOW_PASS = 5.0  # seconds: a pass of freed capacity this long is logged


class Followups:
    """The follow-ups of matching's events, answers and timers, on one worker."""

    def __init__(
        self,
        store: MatchingStore,
        round_: Round,
        settling: Settling,
        now: Callable[[], datetime],
    ):
        self.store, self.round, self.settling, self.now = store, round_, settling, now

    # -- organisations and offers --------------------------------------------------
    def organisation(self, org_id: str, rematch: bool = True) -> None:
        """A verified organisation's offers may meet waiting needs; a suspended or erased
        one is asked nothing more and its open requests go elsewhere."""
        status = (self.store.organisation(org_id) or {}).get("status")
        if status == "verified" and rematch:
            self.rematch_offers(self.store.offers_of(org_id))
        elif status in ("suspended", "erased"):
            self.withdraw_proposals({"organisation_id": org_id})

    def offer_added(self, offer: dict) -> None:
        self.rematch_offers([offer["id"]])

    def offer_edited(self, offer: dict, held: dict) -> None:
        """After an owner's edit (`offer` as pledges sent it, `held` as stored)."""
        # the copies on its matches keep what was asked, but never text the owner took back
        # (an erased organisation's offers keep none: `held` is what matching stored)
        self.store.refresh_offer_text(held)
        # only a forced cut takes back requests already sent; an unforced one that crossed
        # a proposal on its way leaves the proposal standing (the organisation may decline)
        if held["remaining"] < 0 and offer["forced"]:
            self.cut_back(offer["id"])
        self.rematch_offers([offer["id"]])  # it may have more, or serve more, than before

    def cut_back(self, offer_id: str) -> None:
        """Capacity was forced below what is reserved: cancel the newest proposals."""
        for match in sorted(
            self.store.proposed({"offer_id": offer_id}), key=lambda m: m["_id"], reverse=True
        ):
            if self.store.get_offer(offer_id)["remaining"] >= 0:
                return
            self.settling.cancel_if_proposed(match["_id"])
            self.round.match(match["need_id"])

    def withdraw_proposals(self, query: dict) -> None:
        """Cancel open proposals whose organisation or offer went away, and ask elsewhere."""
        for match in self.store.proposed(query):
            if self.settling.cancel_if_proposed(match["_id"]):
                self.round.match(match["need_id"])

    # -- needs -----------------------------------------------------------------------
    def need_edited(self, need_id: str) -> None:
        """Take back the proposals the need moved away from (region, languages, date) or
        no longer needs, then match it as it now is."""
        today = self.now().date()
        for match in sorted(
            self.store.proposed({"need_id": need_id}), key=lambda m: m["_id"], reverse=True
        ):
            held = self.store.get_need(need_id)
            offer = self.store.get_offer(match["offer_id"])
            if rules.still_stands(held, offer, today) and held["covered"] <= held["quantity"]:
                continue
            self.settling.cancel_if_proposed(match["_id"])
        self.round.match(need_id)
        self.rematch_given_back(need_id)

    def need_cancelled(self, need_id: str) -> None:
        """Nothing is owed to a need that is gone: proposals and accepted matches are
        cancelled (the organisations are told), fulfilled ones stay as the record of
        what was given."""
        for match in self.store.open_matches({"need_id": need_id}):
            self.settling.cancel_if_open(match["_id"])
        self.rematch_given_back(need_id)

    def rematch_given_back(self, need_id: str) -> None:
        """What the need's cancelled matches held may serve other needs: offered again
        (also when a redelivery finds them cancelled by the delivery before)."""
        cancelled = self.store.cancelled({"need_id": need_id})
        self.rematch_offers([m["offer_id"] for m in cancelled])

    # -- answers and the clock -------------------------------------------------------
    def answer(
        self,
        match_id: str,
        action: str,
        organisation_id: str | None,
        by: str | None = None,
        said: dict | None = None,
    ) -> dict:
        """Settle an answer (by `by`, a person's account, with what it `said`); capacity
        it gave back goes to its own need first, then to the domain's other waiting needs."""
        match = self.settling.answer(match_id, action, organisation_id, by, said)
        if rules.releases(match["status"]):
            self.round.match(match["need_id"])
            self.rematch_offers([match["offer_id"]])
        return match

    def sweep(self) -> None:
        """Proposals nobody answered in time go to the next candidate; matches a worker
        that died left settling are finished."""
        now = self.now()
        for match in self.store.due(iso(now)):
            try:
                self.answer(match["_id"], "expire", None)
            except Conflict:
                continue  # answered meanwhile
        for match in self.store.left_settling(iso(now - SETTLE_GRACE)):
            log.warning("finishing match %s, left settling", match["_id"])
            self.settling.give_back(match["_id"])
            self.round.match(match["need_id"])
            self.rematch_offers([match["offer_id"]])

    # -- freed capacity to the needs waiting for it --------------------------------
    def rematch_offers(self, offer_ids: list[str]) -> None:
        """Note the offers for `offer_freed`, which offers them after the new needs."""
        self.store.note_freed(offer_ids)

    def offer_freed(self, step_aside: Callable[[], None]) -> None:
        """Offer each noted offer's free capacity to the needs waiting for it, calling
        `step_aside` before each need's round (it waits while new needs are matched)."""
        began, offered = time.monotonic(), 0
        for note in self.store.freed_notes():
            if self.store.lease_freed(note):
                self.rematch_offer(note["_id"], step_aside)
                self.store.done_freed(note)
                offered += 1
        took = time.monotonic() - began
        if took > SLOW_PASS:  # for whoever wonders why a freed place waited
            log.info("offered freed capacity of %d offers in %.1f s", offered, took)

    def rematch_offer(self, offer_id: str, step_aside: Callable[[], None]) -> None:
        """Offer what an offer has free to the needs waiting where it serves, the most
        urgent and then the oldest first, until none is left: an event costs what it
        frees, not how many needs wait. Each need gets a whole round, so it may also be
        met from other offers, and never asks an organisation that said no."""
        offer = self.store.find_offer(offer_id)
        if offer is None or not rules.has_free(offer):
            return
        today = self.now().date()
        for need in self.store.waiting_in(queues_served_by(offer)):
            if not rules.fits(offer, need, today):
                continue  # not in a language it names, or not by the day it is needed
            step_aside()
            self.round.match(need["_id"], need=need)
            offer = self.store.find_offer(offer_id)
            if offer is None or not rules.has_free(offer):
                return
