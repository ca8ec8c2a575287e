"""The matching service: finds who can meet each need and keeps the proposals moving."""

import logging
from datetime import timedelta

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from tilts_contracts import api, messaging, settings
from tilts_contracts.clock import iso, new_id, utcnow
from tilts_contracts.errors import Conflict, Forbidden
from tilts_contracts.messaging import MongoDatabase, StaleWrite, consumes, retry_stale, rpc

from . import domain
from .storage import MatchingStore, with_open_ends

log = logging.getLogger(__name__)
MATCH_FILTERS = ("need_id", "organisation_id", "status", "offer_id")
FAIRNESS_WINDOW = timedelta(days=30)
# a match still settling this long after its answer was left so by a worker that died
SETTLE_GRACE = timedelta(seconds=30)


class Clock(DependencyProvider):
    """Now, and how long organisations have to answer; tests may move the clock only
    where TEST_CLOCK is on (it never is in a deployment)."""

    def setup(self):
        config = self.container.config
        self.movable = settings.flag(config, "TEST_CLOCK")
        self.respond_hours = domain.parse_respond_hours(settings.get(config, "RESPOND_HOURS"))

    def get_dependency(self, worker_ctx):
        return self


class MatchingService(messaging.Operable):  # via the module: `nameko run` serves all it sees
    name = "matching"

    store: MatchingStore = MongoDatabase(MatchingStore)
    clock: Clock = Clock()
    dispatch = messaging.EventDispatcher()  # declares its consumers' queues at start

    def _now(self):
        if not self.clock.movable:
            return utcnow()
        return utcnow() + timedelta(seconds=self.store.clock_offset())

    @rpc
    def shift_clock(self, seconds: float) -> dict:
        """Move matching's clock forward (tests of expiry); refused unless TEST_CLOCK."""
        if not self.clock.movable:
            raise Forbidden("the clock can only be moved where TEST_CLOCK is on")
        return {"offset_seconds": self.store.shift_clock(float(seconds)), "now": iso(self._now())}

    # -- what the registry and pledges tell us --------------------------------------
    @consumes("registry", "organisation_registered")
    def on_organisation_registered(self, env, org):
        self.store.record_organisation(as_held(org))

    # The follow-up of each event (asking elsewhere, matching waiting needs) is decided
    # from the state held after the write, not from whether this delivery made the write:
    # a delivery that stored its change and then failed is retried, and the retry must
    # still do what the first one could not finish. Done twice, a follow-up finds nothing.
    @consumes("registry", "organisation_updated")
    def on_organisation_updated(self, env, org):
        self.store.record_organisation(as_held(org))
        self._follow_organisation(org["id"], rematch=False)  # an edit opens no capacity

    @consumes("registry", "organisation_verified")
    def on_organisation_verified(self, env, org):
        self.store.record_organisation(as_held(org))
        self._follow_organisation(org["id"])

    @consumes("registry", "organisation_suspended")
    def on_organisation_suspended(self, env, org):
        self.store.record_organisation(as_held(org))
        self._follow_organisation(org["id"])

    def _follow_organisation(self, org_id: str, rematch: bool = True) -> None:
        """A verified organisation's offers may meet waiting needs; a suspended or erased
        one is asked nothing more and its open requests go elsewhere."""
        status = (self.store.organisation(org_id) or {}).get("status")
        if status == "verified" and rematch:
            for domain_slug in self.store.domains_offered_by(org_id):
                self._rematch_domain(domain_slug)
        elif status in ("suspended", "erased"):
            self._withdraw_proposals({"organisation_id": org_id})

    @consumes("pledges", "offer_pledged")
    def on_offer_pledged(self, env, offer):
        self.store.add_offer(offer)
        self._rematch_domain(offer["domain"])

    @consumes("pledges", "offer_updated")
    def on_offer_updated(self, env, offer):
        def attempt():
            held = self.store.find_offer(offer["id"])
            if held is None:
                self.store.add_offer(offer)
                return self.store.get_offer(offer["id"])
            if held.get("revision", 0) >= offer["revision"]:
                return None
            allocated = held["capacity"] - held["remaining"]
            fields = {
                k: v
                for k, v in with_open_ends(offer).items()
                if k not in ("id", "remaining", "status", "forced")
            }
            fields["remaining"] = offer["capacity"] - allocated
            if offer["status"] == "withdrawn":
                fields["status"] = "withdrawn"
            if not self.store.save_offer({**held, **fields}):
                raise StaleWrite(offer["id"])
            return {**held, **fields}

        updated = retry_stale(attempt)
        if updated is None:  # held already: a redelivery finishes what it began
            updated = self.store.get_offer(offer["id"])
            if updated.get("revision") != offer["revision"]:
                return  # a later edit is held, and its own event does the follow-up
        # the copies on its matches keep what was asked, but never text the owner took back
        # (an erased organisation's offers come here with their description blanked)
        self.store.refresh_offer_text(offer["id"], offer["title"], offer.get("description"))
        # only a forced cut takes back requests already sent; an unforced one that crossed
        # a proposal on its way leaves the proposal standing (the organisation may decline)
        if updated["remaining"] < 0 and offer["forced"]:
            self._cut_back(offer["id"])
        self._rematch_domain(offer["domain"])

    def _cut_back(self, offer_id: str) -> None:
        """Capacity was forced below what is reserved: cancel the newest proposals."""
        for match in sorted(
            self.store.proposed({"offer_id": offer_id}), key=lambda m: m["_id"], reverse=True
        ):
            if self.store.get_offer(offer_id)["remaining"] >= 0:
                return
            self._cancel_if_proposed(match["_id"])
            self._match_need(match["need_id"])

    @consumes("pledges", "offer_withdrawn")
    def on_offer_withdrawn(self, env, offer):
        if self.store.add_offer({**offer, "status": "withdrawn"}):
            return  # it overtook offer_pledged, which will now find the offer withdrawn

        def attempt():
            held = self.store.find_offer(offer["id"])
            if held is None or held.get("status") == "withdrawn":
                return
            if not self.store.save_offer(
                {**held, "status": "withdrawn", "revision": offer["revision"]}
            ):
                raise StaleWrite(offer["id"])

        retry_stale(attempt)
        self._withdraw_proposals({"offer_id": offer["id"]})

    @consumes("pledges", "need_posted")
    def on_need_posted(self, env, need):
        if not self.store.add_need(need):
            # stored already: RabbitMQ redelivers a need whose handler died before its
            # ack, perhaps between claiming, covering and proposing; what that run left
            # half done must not hold the need (the relay's own duplicates come seconds
            # after the first run ended, so no live round is disturbed)
            self.store.repair_need(need["id"])
        self._match_need(need["id"])

    @consumes("pledges", "need_updated")
    def on_need_updated(self, env, need):
        if self.store.add_need(need):  # it overtook need_posted: this is the need as it is
            self._match_need(need["id"])
            return

        def attempt():
            held = self.store.get_need(need["id"])
            if held.get("source_revision", 0) >= need["revision"] or held["status"] == "cancelled":
                return False
            fields = {k: v for k, v in need.items() if k not in ("id", "revision", "status")}
            self.store.replace("needs", {**held, **fields, "source_revision": need["revision"]})
            return True

        retry_stale(attempt)  # False when held already: its proposals are checked again all
        need_id = need["id"]
        today = self._now().date()
        released = False
        for match in sorted(
            self.store.proposed({"need_id": need_id}), key=lambda m: m["_id"], reverse=True
        ):
            held = self.store.get_need(need_id)
            offer = self.store.get_offer(match["offer_id"])
            if domain.still_stands(held, offer, today) and held["covered"] <= held["quantity"]:
                continue
            # the need moved away from this offer (region, languages, date) or shrank
            released = self._cancel_if_proposed(match["_id"]) or released
        self._match_need(need_id)
        if released:  # what the need no longer holds may serve the domain's other needs
            self._rematch_domain(self.store.get_need(need_id)["domain"])

    @consumes("pledges", "need_cancelled")
    def on_need_cancelled(self, env, need):
        if self.store.add_need({**need, "status": "cancelled"}):
            return  # it overtook need_posted, which will now find the need cancelled

        def attempt():
            held = self.store.get_need(need["id"])
            if held["status"] != "cancelled":
                self.store.replace("needs", {**held, "status": "cancelled"})

        retry_stale(attempt)
        # nothing is owed to a need that is gone: proposals and accepted matches are cancelled
        # (the organisations are told), fulfilled ones stay as the record of what was given
        released = False
        for match in self.store.open_matches({"need_id": need["id"]}):
            released = self._cancel_if_open(match["_id"]) or released
        if released:  # what they held is free again for the domain's other needs
            self._rematch_domain(self.store.get_need(need["id"])["domain"])

    # -- what organisations and coordinators say -----------------------------------
    @rpc
    def get_match(self, match_id: str) -> dict:
        return api.present(api.Match, self.store.get_match(match_id))

    @rpc
    def match_details(self, match_id: str) -> dict:
        """A match with the need, offer and organisation it was proposed with."""
        match = self.store.get_match(match_id)
        return {
            **api.present(api.Match, match),
            "need": match.get("need"),
            "offer": match.get("offer"),
            "organisation": match.get("organisation"),
        }

    @rpc
    def list_matches(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in MATCH_FILTERS if filters.get(k)}
        docs, nxt = self.store.find_page("matches", query, api.clamp_limit(limit), cursor)
        return api.page(api.Match, docs, nxt)

    @rpc
    def accept_match(self, match_id: str, organisation_id: str | None = None) -> dict:
        return self._answer(match_id, "accept", organisation_id)

    @rpc
    def decline_match(self, match_id: str, organisation_id: str | None = None) -> dict:
        return self._answer(match_id, "decline", organisation_id)

    @rpc
    def fulfil_match(self, match_id: str, organisation_id: str | None = None) -> dict:
        return self._answer(match_id, "fulfil", organisation_id)

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

    @timer(interval=5)
    def expire_overdue(self):
        """Proposals nobody answered in time go to the next candidate; matches a worker
        that died left settling are finished."""
        now = self._now()
        for match in self.store.due(iso(now)):
            try:
                self._answer(match["_id"], "expire", None)
            except Conflict:
                continue  # answered meanwhile
        for match in self.store.left_settling(iso(now - SETTLE_GRACE)):
            log.warning("finishing match %s, left settling", match["_id"])
            self._give_back(match["_id"])
            self._match_need(match["need_id"])
            self._rematch_domain(self.store.get_need(match["need_id"])["domain"])

    @timer(interval=1)
    def relay_events(self):
        """Publish events whose writer stopped before it could."""
        self.store.flush_outbox(self.dispatch)

    # -- the matching itself ---------------------------------------------------------
    def _match_need(self, need_id: str, depth: int = 0) -> None:
        """Propose the best candidates until the need is covered, or report the gap.

        A proposal the world moved under (see `_propose`) is cancelled and the need is
        matched again, a bounded number of times, so it never waits uncovered for that.
        """
        need = self.store.get_need(need_id)
        if need["status"] not in ("open", "unmatched"):
            return
        now = self._now()
        today = now.date().isoformat()
        asked = domain.not_to_ask(self.store.matches_of_need(need_id))
        described = self.store.candidate_slots(need, today, exclude_orgs=asked)
        stats = self.store.organisation_stats(
            {o["organisation_id"] for o in described}, (now - FAIRNESS_WINDOW).date().isoformat()
        )
        still = need["quantity"] - need["covered"]
        wanted, behind = max(still, 1), False
        for ranked in domain.rank(described, need, wanted, stats, asked, now.date()):
            if still <= 0:
                break
            org_id = ranked.offer["organisation_id"]
            if org_id in asked:
                continue  # asked already in this round, through another of its offers
            offer = self.store.offer_if_candidate(ranked.offer, need, today)
            if offer is None:
                behind = True  # its slot was behind the offer: brought level, look again
                continue
            candidate = domain.score(offer, need, wanted, stats.get(org_id, {}))
            if not self.store.claim_ask(need_id, org_id, now):
                continue  # a round running beside this one asked it a moment ago
            quantity = self.store.reserve_up_to(offer, need, today, still)
            if not quantity:
                self.store.release_ask(need_id, org_id)
                continue  # other workers took all of it first
            if not self.store.cover(need_id, quantity, need["quantity"]):
                self.store.release(candidate.offer["_id"], quantity)
                self.store.release_ask(need_id, org_id)
                break  # another worker covered the need meanwhile
            if not self._propose(need, candidate, quantity, now):
                if depth < 3:
                    self._match_need(need_id, depth + 1)  # it also reports any gap
                else:
                    self._report_gap(need_id)
                return
            asked.add(org_id)
            still -= quantity
        if still > 0 and behind and depth < 3:
            self._match_need(need_id, depth + 1)  # past the slots that misled this round
            return
        self._report_gap(need_id)

    def _propose(self, need: dict, candidate: domain.Candidate, quantity: int, now) -> bool:
        """Store and announce one proposal; False if it had to be taken back at once."""
        deadline = domain.respond_by(
            need.get("urgency", "normal"), now, self.clock.respond_hours, need.get("needed_by")
        )
        match = domain.propose(new_id("mat"), need, candidate, quantity, now, deadline)
        offer = self.store.get_offer(candidate.offer["_id"])
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
            **offer_counts(offer),
        )
        self.store.insert("matches", match, ["match_proposed"])
        self.store.count_asked(match["organisation_id"], now.date().isoformat())
        self.store.publish(self.dispatch, "matches", match["_id"])
        # the need may have been cancelled or edited, the offer withdrawn or its organisation
        # suspended or erased, between reading them and this insert, when no handler could
        # see the match yet: look again, so no proposal outlives what it was made from
        held = self.store.get_need(need["_id"])
        if not domain.still_stands(held, self.store.get_offer(offer["_id"]), now.date()):
            self._cancel_if_open(match["_id"])
            return False
        return True

    def _report_gap(self, need_id: str) -> None:
        """Raise need_unmatched once per coverage level while the need stays short."""

        def attempt():
            need = self.store.get_need(need_id)
            if need["status"] not in ("open", "unmatched") or need["covered"] >= need["quantity"]:
                return False
            if need["gap_reported"] == need["covered"]:
                return False
            payload = {
                "need": {**need, "id": need_id, "status": "unmatched"},
                "covered": need["covered"],
                "reason": "no candidate left" if need["covered"] == 0 else "partly covered",
            }
            status = "unmatched" if need["covered"] == 0 else need["status"]
            self.store.replace(
                "needs",
                {**need, "status": status, "gap_reported": need["covered"]},
                [("need_unmatched", payload)],
            )
            return True

        if retry_stale(attempt):
            self.store.publish(self.dispatch, "needs", need_id)

    def _answer(self, match_id: str, action: str, organisation_id: str | None) -> dict:
        def attempt():
            current = self.store.get_match(match_id)
            if action in ("accept", "fulfil"):
                domain.check_need_open(self.store.get_need(current["need_id"]), current)
            match = domain.answer(current, action, self._now(), organisation_id)
            return self._settle(match)

        match = retry_stale(attempt)
        if domain.releases(match["status"]):
            self._match_need(match["need_id"])  # its own need asks the next candidate first,
            self._rematch_domain(self.store.get_need(match["need_id"])["domain"])  # then others
        return api.present(api.Match, match)

    def _settle(self, match: dict) -> dict:
        """Store a match's new state and announce it, giving back what it released.

        The state write is conditional on the version read, so of two workers settling
        the same match only one gets to release its capacity. A match that releases is
        stored as `settling` first: should this worker die before it has given the
        capacity back and announced the match, the sweep (`expire_overdue`) finishes.
        """
        if not domain.releases(match["status"]):
            stored = self.store.replace("matches", match, [f"match_{match['status']}"])
            self.store.count_outcome(stored)
            self.store.publish(self.dispatch, "matches", match["_id"])
            return stored
        self.store.replace("matches", {**match, "settling": True})
        return self._give_back(match["_id"])

    def _give_back(self, match_id: str) -> dict:
        """Give an ended match's capacity back to its offer and need, then announce it;
        each step happens once however often this runs."""
        self.store.give_back(self.store.get_match(match_id))

        def announce():
            current = self.store.get_match(match_id)
            if not current.get("settling"):
                return None  # announced already, by a worker running beside this one
            offer = self.store.get_offer(current["offer_id"])
            done = {k: v for k, v in current.items() if k != "settling"}
            return self.store.replace(
                "matches", {**done, **offer_counts(offer)}, [f"match_{current['status']}"]
            )

        stored = retry_stale(announce)
        if stored is None:
            return self.store.get_match(match_id)
        self.store.count_outcome(stored)
        self.store.publish(self.dispatch, "matches", match_id)
        return stored

    def _withdraw_proposals(self, query: dict) -> None:
        """Cancel open proposals whose organisation or offer went away, and ask elsewhere."""
        for match in self.store.proposed(query):
            if self._cancel_if_proposed(match["_id"]):
                self._match_need(match["need_id"])

    def _cancel_if_proposed(self, match_id: str) -> bool:
        return self._cancel_if(match_id, ("proposed",))

    def _cancel_if_open(self, match_id: str) -> bool:
        """Cancel a proposed or accepted match (its need went away)."""
        return self._cancel_if(match_id, ("proposed", "accepted"))

    def _cancel_if(self, match_id: str, statuses: tuple[str, ...]) -> bool:
        def attempt():
            current = self.store.get_match(match_id)
            if current["status"] not in statuses:
                return None
            return self._settle(domain.cancel(current, self._now()))

        return retry_stale(attempt) is not None

    def _rematch_domain(self, domain_slug: str) -> None:
        for need in self.store.needs_waiting(domain_slug):
            self._match_need(need["_id"])


def as_held(org: dict) -> dict:
    """An organisation as matching keeps it: an erased one can no longer be written to,
    so it is "erased" whatever status its event carries, and nobody there is asked again
    (its open requests go elsewhere; the help it accepted stands)."""
    return {**org, "status": "erased"} if org.get("erased") else org


def offer_counts(offer: dict) -> dict:
    """What a match event tells the offer's owner about its capacity."""
    return {
        "offer_allocated": offer["capacity"] - offer["remaining"],
        "offer_remaining": offer["remaining"],
        "offer_revision": offer["_version"],
    }
