"""The matching service: finds who can meet each need and keeps the proposals moving.

This module wires events, RPCs and timers to the parts that do the work: the read models
and reservations (`storage`), a need's round (`round`), answers and cancellations
(`settling`) and what each event sets moving (`followups`).
"""

from functools import cached_property

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from tilts_contracts import settings
from tilts_contracts.schemas import common, needs
from tilts_runtime import operable, testclock
from tilts_runtime.consumer import consumes
from tilts_runtime.dependencies import EventDispatcher, MongoDatabase
from tilts_runtime.operable import rpc

from . import rules
from .followups import Followups
from .freed import NewNeeds
from .round import FAIRNESS_WINDOW, Round
from .settling import Settling
from .storage import MatchingStore, with_open_ends

MATCH_FILTERS = ("need_id", "organisation_id", "status", "offer_id")


class Clock(DependencyProvider):
    """How long organisations have to answer (RESPOND_HOURS, by urgency)."""

    def setup(self):
        config = self.container.config
        self.respond_hours = rules.parse_respond_hours(settings.get(config, "RESPOND_HOURS"))

    def get_dependency(self, worker_ctx):
        return self


# via the modules: `nameko run` serves every class with entrypoints it sees
class MatchingService(operable.Operable, testclock.MovableClock):
    name = "matching"

    store: MatchingStore = MongoDatabase(MatchingStore)
    clock: Clock = Clock()
    dispatch = EventDispatcher()  # declares its consumers' queues at start
    new_needs: NewNeeds = NewNeeds()

    @cached_property
    def settling(self) -> Settling:
        return Settling(self.store, self.dispatch, self._now)

    @cached_property
    def round(self) -> Round:
        return Round(self.store, self.dispatch, self._now, self.clock.respond_hours, self.settling)

    @cached_property
    def follow(self) -> Followups:
        return Followups(self.store, self.round, self.settling, self._now)

    def _match_need(self, need_id: str) -> None:
        self.round.match(need_id)

    # -- what the registry tells us --------------------------------------------------
    @consumes("registry", "organisation_registered")
    def on_organisation_registered(self, env, org):
        self.store.record_organisation(as_held(org))

    @consumes("registry", "organisation_updated")
    def on_organisation_updated(self, env, org):
        self.store.record_organisation(as_held(org))
        self.follow.organisation(org["id"], rematch=False)  # an edit opens no capacity

    @consumes("registry", "organisation_verified")
    def on_organisation_verified(self, env, org):
        self.store.record_organisation(as_held(org))
        self.follow.organisation(org["id"])

    @consumes("registry", "organisation_suspended")
    def on_organisation_suspended(self, env, org):
        self.store.record_organisation(as_held(org))
        self.follow.organisation(org["id"])

    # -- what pledges tells us -----------------------------------------------------------
    @consumes("pledges", "offer_pledged")
    def on_offer_pledged(self, env, offer):
        self.store.add_offer(offer)
        self.follow.offer_added(offer)

    @consumes("pledges", "offer_updated")
    def on_offer_updated(self, env, offer):
        def edit(held):
            return rules.edited_offer(held, with_open_ends(offer))

        held = self.store.change_offer(offer["id"], edit)
        if held is None and not self.store.add_offer(offer):  # it overtook offer_pledged
            held = self.store.change_offer(offer["id"], edit)  # which landed meanwhile
        held = held or self.store.get_offer(offer["id"])
        # held already, a redelivery finishes what it began; a later edit held does its own
        if held.get("revision") == offer["revision"]:
            if offer.get("renewed_at"):  # capacity came back: give back what was spent
                self.store.renew(offer["id"], offer["renewed_at"])
            self.follow.offer_edited(offer, held)

    @consumes("pledges", "offer_withdrawn")
    def on_offer_withdrawn(self, env, offer):
        if self.store.add_offer({**offer, "status": "withdrawn"}):
            return  # it overtook offer_pledged, which will now find the offer withdrawn
        self.store.change_offer(
            offer["id"], lambda held: rules.withdrawn_offer(held, offer["revision"])
        )
        self.follow.withdraw_proposals({"offer_id": offer["id"]})

    @consumes("pledges", "need_posted")
    def on_need_posted(self, env, need):
        held = self.store.add_need(need)
        if held is None:
            # stored already: RabbitMQ redelivers a need whose handler died before its
            # ack, perhaps between claiming, covering and proposing; what that run left
            # half done must not hold the need (the relay's own duplicates come seconds
            # after the first run ended, so no live round is disturbed)
            self.round.repair(need["id"])
        self.round.match(need["id"], need=held)  # read again after a repair

    @consumes("pledges", "need_updated")
    def on_need_updated(self, env, need):
        if self.store.add_need(need):  # it overtook need_posted: this is the need as it is
            self.round.match(need["id"])
            return
        if need.get("text_forgotten_at"):  # retention: every copy forgets the text, also
            # the copy of a cancelled need, which takes no edit
            self.store.forget_need_text(need["id"], need["text_forgotten_at"])
        # held already (or cancelled): its proposals are checked again all the same
        self.store.change("needs", need["id"], lambda held: rules.edited_need(held, need))
        self.follow.need_edited(need["id"])

    @consumes("pledges", "need_cancelled")
    def on_need_cancelled(self, env, need):
        if self.store.add_need({**need, "status": "cancelled"}):
            return  # it overtook need_posted, which will now find the need cancelled
        self.store.change("needs", need["id"], rules.cancelled_need)
        self.follow.need_cancelled(need["id"])

    # -- what organisations and coordinators say -----------------------------------
    @rpc
    def get_match(self, match_id: str) -> dict:
        return common.present(needs.Match, self.store.get_match(match_id))

    @rpc
    def match_details(self, match_id: str) -> dict:
        """A match with the need, offer and organisation it was proposed with."""
        match = self.store.get_match(match_id)
        return {
            **common.present(needs.Match, match),
            "need": match.get("need"),
            "offer": match.get("offer"),
            "organisation": match.get("organisation"),
        }

    @rpc
    def answer_records(self, org_ids: list[str]) -> dict:
        """Each organisation's answers so far (asked, accepted, declined, expired, and
        asked in the fairness window), so a coordinator reads a score in words."""
        since = (self._now() - FAIRNESS_WINDOW).date().isoformat()
        wanted = {str(o) for o in list(org_ids or [])[:200]}
        return self.store.organisation_stats(wanted, since)

    @rpc
    def list_matches(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in MATCH_FILTERS if filters.get(k)}
        docs, nxt = self.store.find_page("matches", query, common.clamp_limit(limit), cursor)
        return common.page(needs.Match, docs, nxt)

    @rpc
    def accept_match(
        self, match_id: str, organisation_id: str | None = None, by: str | None = None
    ) -> dict:
        match = self.follow.answer(match_id, "accept", organisation_id, by)
        return common.present(needs.Match, match)

    @rpc
    def decline_match(
        self,
        match_id: str,
        organisation_id: str | None = None,
        by: str | None = None,
        said: dict | None = None,
    ) -> dict:
        """Decline; `said` (optional): `{"reason": one of DECLINE_REASONS, "note": text}`."""
        return self._answer(match_id, "decline", needs.DeclineIn(), organisation_id, by, said)

    @rpc
    def fulfil_match(
        self,
        match_id: str,
        organisation_id: str | None = None,
        by: str | None = None,
        said: dict | None = None,
    ) -> dict:
        """Mark delivered; `said` (optional): `{"quantity": how much was given}`."""
        return self._answer(match_id, "fulfil", needs.FulfilIn(), organisation_id, by, said)

    def _answer(self, match_id, how, schema, organisation_id, by, said) -> dict:
        """An organisation's answer that says something (checked by `schema`)."""
        said = common.load(schema, said or {})
        match = self.follow.answer(match_id, how, organisation_id, by, said)
        return common.present(needs.Match, match)

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

    @timer(interval=0.2)
    def offer_freed_capacity(self):
        """Capacity events noted freed capacity: offer it to the needs waiting for it,
        stepping aside for needs just posted (see `freed`)."""
        self.follow.offer_freed(self.new_needs.step_aside)

    @timer(interval=5)
    def expire_overdue(self):
        """Proposals nobody answered in time go to the next candidate; matches a worker
        that died left settling are finished."""
        self.follow.sweep()


def as_held(org: dict) -> dict:
    """An organisation as matching keeps it: an erased one can no longer be written to,
    so it is "erased" whatever status its event carries, and nobody there is asked again
    (its open requests go elsewhere; the help it accepted stands)."""
    return {**org, "status": "erased"} if org.get("erased") else org
