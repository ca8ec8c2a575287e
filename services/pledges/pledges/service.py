"""The pledges service: the resource wall of offers, and the needs they meet."""

import hashlib
from datetime import date, datetime

from nameko.timer import timer

from tilts_contracts import lifecycles
from tilts_contracts.clock import iso, new_id, utcnow
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.schemas import common, needs, offers
from tilts_runtime import operable, testclock
from tilts_runtime.audit import entry
from tilts_runtime.consumer import consumes
from tilts_runtime.dependencies import EventDispatcher, MongoDatabase
from tilts_runtime.operable import rpc
from tilts_runtime.store import retry_stale

from . import renewal, retention, rules, views
from .storage import PledgeStore


def _audit(by: str | None, action: str, doc: dict, fields: dict | None = None) -> dict | None:
    """The audit entry of a person's change (ids and field names only: no free text);
    none for a change no person made."""
    if not by:
        return None
    return entry(by, action, doc["_id"], ", ".join(sorted(fields or {})))


def _load_need(data: dict, today: date, partial: bool = False) -> dict:
    """A need's fields, or one Invalid naming what the schema (the privacy guard's
    findings among it) and the date check say."""
    try:
        return common.iso_dates(common.load(needs.NeedIn(), data, partial=partial))
    except Invalid as exc:
        raw = data if isinstance(data, dict) else {}
        raise rules.with_problems(exc, rules.need_problems(raw, today)) from None


# via the modules: `nameko run` serves every class with entrypoints it sees
class PledgesService(operable.Operable, testclock.MovableClock):
    name = "pledges"

    store: PledgeStore = MongoDatabase(PledgeStore)
    dispatch = EventDispatcher()  # declares its consumers' queues at start
    retention_days: int = retention.RetentionDays()

    # -- offers ----------------------------------------------------------------------
    @rpc
    def pledge_offer(self, data: dict, offer_id: str | None = None, by: str | None = None) -> dict:
        """A new offer; `offer_id` (chosen by the caller) makes a redelivered call harmless.
        `by` (the person's account, from the gateway) goes into the audit log."""
        fields = common.iso_dates(common.load(offers.OfferIn(), data))
        self._refuse_if_erased(fields["organisation_id"])
        now = self._now()
        offer = renewal.scheduled(rules.pledge_offer(fields, offer_id or new_id("off"), now), now)
        offer = self.store.add(
            "offers", offer, ["offer_pledged"], self.dispatch, _audit(by, "offer_pledged", offer)
        )
        return common.present(offers.Offer, offer)

    @rpc
    def get_offer(self, offer_id: str) -> dict:
        return common.present(offers.Offer, self.store.get_offer(offer_id))

    @rpc
    def list_offers(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in offers.FILTERS if filters.get(k)}
        if "region" in query:
            query["regions"] = query.pop("region")
        docs, nxt = self.store.find_page("offers", query, common.clamp_limit(limit), cursor)
        return common.page(offers.Offer, docs, nxt)

    @rpc
    def update_offer(
        self, offer_id: str, changes: dict, force: bool = False, by: str | None = None
    ) -> dict:
        fields = common.iso_dates(common.load(offers.OfferEdit(), changes, partial=True))
        fields = {k: v for k, v in fields.items() if k in changes}

        def edit(held: dict) -> dict:
            self._refuse_if_erased(held["organisation_id"])
            committed = self.store.committed_of(offer_id, since=held.get("period_start"))
            now = self._now()
            edited = rules.edit_offer(held, fields, now, force, committed=committed)
            return renewal.scheduled(edited, now)

        offer = self.store.change(
            "offers",
            offer_id,
            edit,
            ["offer_updated"],
            self.dispatch,
            _audit(by, "offer_updated", {"_id": offer_id}, fields),
        )
        return common.present(offers.Offer, offer)

    @rpc
    def withdraw_offer(self, offer_id: str, force: bool = False, by: str | None = None) -> dict:
        offer = self.store.change(
            "offers",
            offer_id,
            lambda o: rules.withdraw_offer(o, utcnow(), force),
            ["offer_withdrawn"],
            self.dispatch,
            _audit(by, "offer_withdrawn", {"_id": offer_id}),
        )
        return common.present(offers.Offer, offer)

    @rpc
    def pause_offer(self, offer_id: str, by: str | None = None) -> dict:
        """Off the wall and out of matching until resumed (offer_updated says so)."""
        return self._pause_or_resume(offer_id, rules.pause_offer, "offer_paused", by)

    @rpc
    def resume_offer(self, offer_id: str, by: str | None = None) -> dict:
        """Back on the wall; matching offers it to the needs waiting (offer_updated)."""
        return self._pause_or_resume(offer_id, rules.resume_offer, "offer_resumed", by)

    def _pause_or_resume(self, offer_id: str, decide, action: str, by: str | None) -> dict:
        def change(held: dict) -> dict:
            self._refuse_if_erased(held["organisation_id"])
            return decide(held, self._now())

        offer = self.store.change(
            "offers",
            offer_id,
            change,
            ["offer_updated"],
            self.dispatch,
            _audit(by, action, {"_id": offer_id}),
        )
        return common.present(offers.Offer, offer)

    @rpc  # also on demand, for an operator or a test: it renews nothing twice
    @timer(interval=renewal.CHECK_SECONDS)
    def renew_capacity(self) -> int:
        """Offers whose period began get their capacity back, once per period however
        many workers look (each renewal is a write conditional on the version read); the
        offer_updated it publishes lets matching offer it to the needs waiting."""
        now, renewed = self._now(), {}

        def renew(held: dict) -> dict | None:
            new = renewal.renew(held, self.store.matches_of_offer(held["_id"]), now)
            renewed[held["_id"]] = new is not None  # the last attempt's decision counts
            return new

        for offer_id in self.store.due_for_renewal(now):
            self.store.change("offers", offer_id, renew, ["offer_updated"], self.dispatch)
        return sum(renewed.values())

    # -- needs -----------------------------------------------------------------------
    @rpc
    def post_need(
        self,
        data: dict,
        need_id: str | None = None,
        posted_by: str | None = None,
        by: str | None = None,
        within: list[str] | None = None,
    ) -> dict:
        """A new need; `need_id` (chosen by the caller) makes a redelivered call harmless.
        `posted_by` is the coordinator's address: replies to its emails go there; `by`
        their account, for the audit log; `within` a lead's working groups."""
        now = utcnow()
        rules.within_groups(within, rules.named_domain(data))
        fields = _load_need(data, now.date())
        need = rules.post_need(fields, need_id or new_id("need"), now, now.date())
        need["posted_by"] = (posted_by or "")[:254]
        audit = _audit(by or posted_by, "need_posted", need)
        need = self.store.add("needs", need, ["need_posted"], self.dispatch, audit)
        return self._present_need(need)

    @rpc
    def get_need(self, need_id: str) -> dict:
        return self._present_need(self.store.get_need(need_id))

    @rpc
    def list_needs(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in needs.FILTERS if filters.get(k)}
        docs, nxt = self.store.find_page("needs", query, common.clamp_limit(limit), cursor)
        return {"items": [self._present_need(d) for d in docs], "next": nxt}

    @rpc
    def update_need(
        self, need_id: str, changes: dict, by: str | None = None, within: list[str] | None = None
    ) -> dict:
        """Edit a need; a lead (`within`) only in its groups, and not into another."""
        now = utcnow()
        rules.within_groups(within, rules.named_domain(changes))
        fields = _load_need(changes, now.date(), partial=True)
        fields = {k: v for k, v in fields.items() if k in changes}
        need = self.store.change(
            "needs",
            need_id,
            lambda n: rules.edit_need(n, fields, now, now.date(), within),
            ["need_updated"],
            self.dispatch,
            _audit(by, "need_updated", {"_id": need_id}, fields),
        )
        return self._present_need(need)

    @rpc
    def cancel_need(self, need_id: str, by: str | None = None, within: list | None = None) -> dict:
        """Cancel a need; a lead (`within`) only one of its groups."""
        need = self.store.change(
            "needs",
            need_id,
            lambda n: rules.cancel_need(n, utcnow(), within),
            ["need_cancelled"],
            self.dispatch,
            _audit(by, "need_cancelled", {"_id": need_id}),
        )
        return self._present_need(need)

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

    @timer(interval=retention.DAY_SECONDS, eager=True)
    def forget_outlived_texts(self, now: datetime | None = None) -> int:
        """Retention, once a day (and at start): the text of needs ended RETENTION_DAYS
        ago goes, and need_updated tells matching's copies. `now` is for tests; the timer
        uses the service's clock (which tests may move)."""
        return retention.forget_outlived_texts(
            self.store, now or self._now(), self.retention_days, self.dispatch
        )

    # -- public views: the resource wall, the dashboard, the commitment document ----
    @rpc
    def resource_wall(self, region: str | None = None) -> dict:
        """Public offers still available (today, in UTC as every date here), by domain;
        organisations by id only (the gateway adds names)."""
        now = utcnow()
        offers = self.store.public_offers(region, with_erased=False)
        return {"domains": views.wall(offers, now.date()), "generated_at": iso(now)}

    @rpc
    def dashboard(self) -> dict:
        """Needs by status and free capacity, per domain and region: where the gaps are."""
        now = utcnow()
        grid = views.gap_grid(
            self.store.all_needs(),
            self.store.live_offers(),
            self.store.covered_by_need(lifecycles.LIVE_MATCH),
            now.date(),
        )
        return {"grid": grid, "generated_at": iso(now)}

    @rpc
    def commitments(self) -> dict:
        """Who committed what, by domain, and what is delivered; offers not public stay out
        (an erased organisation's stay in, as the anonymous organisation's record)."""
        now = utcnow()
        offers = self.store.public_offers(None, with_erased=True, statuses=lifecycles.KEPT_OFFER)
        delivered = self.store.delivered_by_offer()
        document = views.commitments(offers, delivered, now.date())
        return {"domains": document, "generated_at": iso(now)}

    # -- what the registry tells us --------------------------------------------------
    @consumes("registry", "organisation_verified")
    def on_organisation_verified(self, env, org):
        """Offers sent with the questionnaire go on the wall once the sender is verified.

        One the privacy guard refuses (sent before it read offers) stays off the wall; the
        event is parked naming it, without its text, and the others go on."""
        erased = self.store.is_erased(org["id"])  # its erasure may have overtaken this
        refused = {}
        for number, held in enumerate(org.get("held_offers") or []):
            offer_id = "off_" + hashlib.sha256(f"{org['id']}:{number}".encode()).hexdigest()[:24]
            try:
                data = common.load(offers.OfferIn(), {**held, "organisation_id": org["id"]})
            except Invalid as exc:
                refused[str(number)] = exc.details
                continue
            now = self._now()
            offer = renewal.scheduled(
                rules.pledge_offer(common.iso_dates(data), offer_id, now), now
            )
            if erased:
                offer = rules.forget_offer_text(offer, utcnow())
            self.store.add("offers", offer, ["offer_pledged"], self.dispatch)
        if refused:
            raise Invalid("held offers refused: ask for them again", {"held_offers": refused})

    @consumes("registry", "organisation_updated")
    def on_organisation_updated(self, env, org):
        """Erasure: the organisation's offers keep their domain, capacity and history (the
        commitment document counts them), but not their free text, which may name it or a
        person; offer_updated lets every copy forget it too. Parked events that mention it
        keep only ids."""
        if not org.get("erased"):
            return
        self.store.note_erased(org["id"])

        def forget(offer: dict) -> dict:
            if offer.get("org_erased"):
                return offer  # forgotten already (a redelivery)
            return rules.forget_offer_text(offer, utcnow())

        for offer_id in self.store.offer_ids_of(org["id"]):
            self.store.change("offers", offer_id, forget, ["offer_updated"], self.dispatch)
        self.store.forget_parked(org["id"])

    # -- what matching tells us ------------------------------------------------------
    @consumes("matching", "match_proposed")
    def on_match_proposed(self, env, match):
        self._apply_match(match)

    @consumes("matching", "match_accepted")
    def on_match_accepted(self, env, match):
        self._apply_match(match)

    @consumes("matching", "match_declined")
    def on_match_declined(self, env, match):
        self._apply_match(match)

    @consumes("matching", "match_expired")
    def on_match_expired(self, env, match):
        self._apply_match(match)

    @consumes("matching", "match_fulfilled")
    def on_match_fulfilled(self, env, match):
        self._apply_match(match)

    @consumes("matching", "match_cancelled")
    def on_match_cancelled(self, env, match):
        self._apply_match(match)

    @consumes("matching", "need_unmatched")
    def on_need_unmatched(self, env, payload):
        self._refresh_need(payload["need"]["id"], unmatched=True)

    # -- helpers -----------------------------------------------------------------------
    def _apply_match(self, match: dict) -> None:
        """Idempotent: a match's revision orders its events, whatever their arrival."""
        self.store.record_match(match)
        if match.get("offer_revision") is not None:
            retry_stale(lambda: self._apply_remaining(match))
        self._refresh_need(match["need_id"], unmatched=False)

    def _apply_remaining(self, match: dict) -> None:
        offer = self.store.record_remaining(match["offer_id"], match["offer_revision"])
        if offer is not None and renewal.counted_before(offer, match):
            return  # matching counted this before the renewal: the renewal's count stands
        if offer is not None:
            allocated = match.get("offer_allocated")
            if allocated is None:  # written before events carried the allocation
                allocated = offer["capacity"] - match["offer_remaining"]
            updated = rules.apply_allocation(offer, allocated)
            updated["remaining_revision"] = match["offer_revision"]
            self.store.replace("offers", updated)

    def _refresh_need(self, need_id: str, unmatched: bool) -> None:
        def refresh(need: dict) -> dict:
            flag = unmatched or need.get("unmatched", False)
            matches = self.store.matches_of(need_id)
            if not unmatched and any(m["status"] in lifecycles.LIVE_MATCH for m in matches):
                flag = False
            status = rules.need_status(need, matches, flag)
            if status != need["status"] or flag != need.get("unmatched", False):
                return {**rules.with_status(need, status, utcnow()), "unmatched": flag}
            return need

        self.store.change("needs", need_id, refresh)

    def _refuse_if_erased(self, org_id: str) -> None:
        """An erased organisation pledges and edits nothing more (its token may still be
        valid): whatever it wrote would stand on the wall under no name. It may withdraw."""
        if self.store.is_erased(org_id):
            raise Conflict(f"organisation {org_id} was erased", {"organisation_id": ["erased"]})

    def _present_need(self, need: dict) -> dict:
        return common.present(needs.Need, {**need, "matches": self.store.matches_of(need["_id"])})
