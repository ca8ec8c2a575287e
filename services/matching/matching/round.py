"""A need's matching round, start to end.

Take the need; find its candidates in the slot index (the freest offers that meet the
rules, leaving out organisations asked before or that said no); rank them; then for each,
best first, until the need is covered: read the offer as it stands, claim the right to ask
its organisation, reserve what the offer has free, count it as covering the need, and
store and announce the proposal. A need nothing is left for is reported as a gap.

Every step that allocates is a conditional write, so rounds for the same need or offer
may run on several workers at once without asking an organisation twice for a need or
allocating more than an offer has.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tilts_contracts.clock import new_id
from tilts_contracts.lifecycles import LIVE_MATCH, WAITING_NEED
from tilts_runtime.store import Dispatch

from . import rules
from .settling import Settling
from .storage import MatchingStore

FAIRNESS_WINDOW = timedelta(days=30)
# how many times a round starts over when the world moved under it
AGAIN = 3

# what asking one candidate came to
ASKED, SKIPPED, COVERED_ELSEWHERE, TAKEN_BACK = "asked", "skipped", "covered", "taken back"


@dataclass
class Pass:
    """What one pass of a round knows as it asks candidate after candidate."""

    need: dict
    now: datetime
    asked: set[str]  # organisations not to ask: asked before, or said no
    stats: dict[str, dict]  # their answer records
    wanted: int  # what the need lacked when the pass began (what scores are against)
    still: int  # what it lacks now
    behind: bool = False  # a slot was behind its offer: another pass may find more


class Round:
    """One need's matching round, on one worker."""

    def __init__(
        self,
        store: MatchingStore,
        dispatch: Dispatch,
        now: Callable[[], datetime],
        respond_hours: dict[str, float],
        settling: Settling,
    ):
        self.store, self.dispatch, self.now = store, dispatch, now
        self.respond_hours, self.settling = respond_hours, settling

    def match(self, need_id: str, depth: int = 0, need: dict | None = None) -> None:
        """Propose the best candidates until the need is covered, or report the gap;
        `need` is the need as just read or written, when the caller has it.

        A proposal the world moved under (see `propose`) is cancelled and the need is
        matched again, a bounded number of times, so it never waits uncovered for that.
        """
        need = need or self.store.get_need(need_id)
        if need["status"] not in WAITING_NEED:
            return
        state, ranked = self._begin(need)
        for candidate in ranked:
            if state.still <= 0:
                break
            outcome = self._ask(state, candidate)
            if outcome == COVERED_ELSEWHERE:
                break
            if outcome == TAKEN_BACK:
                if depth < AGAIN:
                    self.match(need_id, depth + 1)  # it also reports any gap
                else:
                    self.report_gap(need_id)
                return
        if state.still <= 0:
            return  # covered: whoever gives capacity back later runs a round of its own
        if state.behind and depth < AGAIN:
            self.match(need_id, depth + 1)  # past the slots that misled this pass
            return
        self.report_gap(need_id)

    def _begin(self, need: dict) -> tuple[Pass, list[rules.Candidate]]:
        """A pass over the need's candidates: its state, and the candidates best first."""
        now = self.now()
        asked = rules.not_to_ask(self.store.matches_of_need(need["_id"]))
        described = self.store.candidate_slots(need, now.date().isoformat(), exclude_orgs=asked)
        since = (now - FAIRNESS_WINDOW).date().isoformat()
        stats = self.store.organisation_stats({o["organisation_id"] for o in described}, since)
        still = need["quantity"] - need["covered"]
        state = Pass(need, now, asked, stats, wanted=max(still, 1), still=still)
        return state, rules.rank(described, need, state.wanted, stats, asked, now.date())

    def _ask(self, state: Pass, ranked: rules.Candidate) -> str:
        """Ask one candidate for what the need still lacks: claim, reserve, cover, propose."""
        need, now, today = state.need, state.now, state.now.date().isoformat()
        org_id = ranked.offer["organisation_id"]
        if org_id in state.asked:
            return SKIPPED  # asked already in this round, through another of its offers
        offer = self.store.offer_if_candidate(ranked.offer, need, today)
        if offer is None:
            state.behind = True  # its slot was behind the offer: brought level, look again
            return SKIPPED
        candidate = rules.score(offer, need, state.wanted, state.stats.get(org_id, {}))
        if not self.store.claim_ask(need["_id"], org_id, now):
            return SKIPPED  # a round running beside this one asked it a moment ago
        quantity, reserved = self.store.reserve_up_to(offer, need, today, state.still)
        if not quantity:
            self.store.release_ask(need["_id"], org_id)
            return SKIPPED  # other workers took all of it first
        if not self.store.cover(need["_id"], quantity, need["quantity"]):
            self.store.release(offer["_id"], quantity)
            self.store.release_ask(need["_id"], org_id)
            return COVERED_ELSEWHERE  # another worker covered the need meanwhile
        if not self.propose(need, candidate, quantity, now, reserved):
            return TAKEN_BACK
        state.asked.add(org_id)
        state.still -= quantity
        return ASKED

    def propose(
        self, need: dict, candidate: rules.Candidate, quantity: int, now, offer: dict
    ) -> bool:
        """Store and announce one proposal of `offer` (as the reservation left it); False
        if it had to be taken back at once."""
        deadline = rules.respond_by(
            need.get("urgency", "normal"), now, self.respond_hours, need.get("needed_by")
        )
        match = rules.propose(new_id("mat"), need, candidate, quantity, now, deadline)
        org = self.store.organisation(offer["organisation_id"]) or {}
        match.update(
            need={**need, "id": need["_id"]},
            offer={**offer, "id": offer["_id"]},
            organisation={
                "id": offer["organisation_id"],
                "name": org.get("name", ""),
                "email": org.get("email"),
                "preferred_language": org.get("preferred_language", "lv"),
            },
            **rules.offer_counts(offer),
        )
        self.store.add("matches", match, ["match_proposed"], self.dispatch)
        self.store.count_asked(match["organisation_id"], now.date().isoformat())
        # the need may have been cancelled or edited, the offer withdrawn or its organisation
        # suspended or erased, between reading them and this insert, when no handler could
        # see the match yet: look again, so no proposal outlives what it was made from
        held = self.store.get_need(need["_id"])
        if not rules.still_stands(held, self.store.get_offer(offer["_id"]), now.date()):
            self.settling.cancel_if_open(match["_id"])
            return False
        return True

    def report_gap(self, need_id: str) -> None:
        """Raise need_unmatched once per coverage level while the need stays short."""
        self.store.change(
            "needs",
            need_id,
            rules.with_gap_reported,
            lambda need: [rules.gap_event(need)],
            self.dispatch,
        )

    def repair(self, need_id: str) -> None:
        """Undo what a round that died midway left on a need: claims with no live match
        behind them, and coverage counted for proposals that were never stored."""
        matches = self.store.matches_of_need(need_id)
        live = [m for m in matches if m["status"] in LIVE_MATCH]
        self.store.drop_claims_but(need_id, {m["organisation_id"] for m in live})
        # the ended matches are counted out now: one still settling is not given back twice
        ended = {m["_id"]: m["quantity"] for m in matches if rules.releases(m["status"])}
        self.store.reset_cover(need_id, sum(m["quantity"] for m in live), ended)
