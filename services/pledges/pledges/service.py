"""The pledges service: the resource wall of offers, and the needs they meet."""

import hashlib
from datetime import date

from nameko.timer import timer

from tilts_contracts import api, messaging
from tilts_contracts.clock import iso, new_id, utcnow
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.messaging import MongoDatabase, consumes, retry_stale, rpc

from . import domain, views
from .storage import PledgeStore

OFFER_FILTERS = ("domain", "region", "organisation_id", "status")
NEED_FILTERS = ("domain", "region", "status", "urgency")


def _load_need(data: dict, today: date, partial: bool = False) -> dict:
    """A need's fields, or one Invalid naming the schema's and the privacy guard's findings."""
    try:
        return api.iso_dates(api.load(api.NeedIn(), data, partial=partial))
    except Invalid as exc:
        raw = data if isinstance(data, dict) else {}
        raise domain.with_problems(exc, domain.need_problems(raw, today)) from None


class PledgesService(messaging.Operable):  # via the module: `nameko run` serves all it sees
    name = "pledges"

    store: PledgeStore = MongoDatabase(PledgeStore)
    dispatch = messaging.EventDispatcher()  # declares its consumers' queues at start

    # -- offers ----------------------------------------------------------------------
    @rpc
    def pledge_offer(self, data: dict, offer_id: str | None = None) -> dict:
        """A new offer; `offer_id` (chosen by the caller) makes a redelivered call harmless."""
        fields = api.iso_dates(api.load(api.OfferIn(), data))
        self._refuse_if_erased(fields["organisation_id"])
        offer = domain.pledge_offer(fields, offer_id or new_id("off"), utcnow())
        offer = self.store.insert_once("offers", offer, ["offer_pledged"])
        self.store.publish(self.dispatch, "offers", offer["_id"])
        return api.present(api.Offer, offer)

    @rpc
    def get_offer(self, offer_id: str) -> dict:
        return api.present(api.Offer, self.store.get_offer(offer_id))

    @rpc
    def list_offers(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in OFFER_FILTERS if filters.get(k)}
        if "region" in query:
            query["regions"] = query.pop("region")
        docs, nxt = self.store.find_page("offers", query, api.clamp_limit(limit), cursor)
        return api.page(api.Offer, docs, nxt)

    @rpc
    def update_offer(self, offer_id: str, changes: dict, force: bool = False) -> dict:
        fields = api.iso_dates(api.load(api.OfferEdit(), changes, partial=True))
        fields = {k: v for k, v in fields.items() if k in changes}

        def attempt():
            held = self.store.get_offer(offer_id)
            self._refuse_if_erased(held["organisation_id"])
            offer = domain.edit_offer(
                held,
                fields,
                utcnow(),
                force,
                committed=self.store.committed_of(offer_id),
            )
            return self.store.replace("offers", offer, ["offer_updated"])

        offer = retry_stale(attempt)
        self.store.publish(self.dispatch, "offers", offer_id)
        return api.present(api.Offer, offer)

    @rpc
    def withdraw_offer(self, offer_id: str, force: bool = False) -> dict:
        def attempt():
            offer = domain.withdraw_offer(self.store.get_offer(offer_id), utcnow(), force)
            return self.store.replace("offers", offer, ["offer_withdrawn"])

        offer = retry_stale(attempt)
        self.store.publish(self.dispatch, "offers", offer_id)
        return api.present(api.Offer, offer)

    # -- needs -----------------------------------------------------------------------
    @rpc
    def post_need(
        self, data: dict, need_id: str | None = None, posted_by: str | None = None
    ) -> dict:
        """A new need; `need_id` (chosen by the caller) makes a redelivered call harmless.
        `posted_by` is the coordinator's token subject: replies to its emails go there."""
        now = utcnow()
        fields = _load_need(data, now.date())
        need = domain.post_need(fields, need_id or new_id("need"), now, now.date())
        need["posted_by"] = (posted_by or "")[:254]
        need = self.store.insert_once("needs", need, ["need_posted"])
        self.store.publish(self.dispatch, "needs", need["_id"])
        return self._present_need(need)

    @rpc
    def get_need(self, need_id: str) -> dict:
        return self._present_need(self.store.get_need(need_id))

    @rpc
    def list_needs(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in NEED_FILTERS if filters.get(k)}
        docs, nxt = self.store.find_page("needs", query, api.clamp_limit(limit), cursor)
        return {"items": [self._present_need(d) for d in docs], "next": nxt}

    @rpc
    def update_need(self, need_id: str, changes: dict) -> dict:
        now = utcnow()
        fields = _load_need(changes, now.date(), partial=True)
        fields = {k: v for k, v in fields.items() if k in changes}

        def attempt():
            need = domain.edit_need(self.store.get_need(need_id), fields, now, now.date())
            return self.store.replace("needs", need, ["need_updated"])

        need = retry_stale(attempt)
        self.store.publish(self.dispatch, "needs", need_id)
        return self._present_need(need)

    @rpc
    def cancel_need(self, need_id: str) -> dict:
        def attempt():
            need = domain.cancel_need(self.store.get_need(need_id), utcnow())
            return self.store.replace("needs", need, ["need_cancelled"])

        need = retry_stale(attempt)
        self.store.publish(self.dispatch, "needs", need_id)
        return self._present_need(need)

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

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
            self.store.covered_by_need(domain.LIVE),
            now.date(),
        )
        return {"grid": grid, "generated_at": iso(now)}

    @rpc
    def commitments(self) -> dict:
        """Who committed what, by domain, and what is delivered; offers not public stay out
        (an erased organisation's stay in, as the anonymous organisation's record)."""
        now = utcnow()
        offers = self.store.public_offers(None, with_erased=True)
        delivered = self.store.delivered_by_offer()
        document = views.commitments(offers, delivered, now.date())
        return {"domains": document, "generated_at": iso(now)}

    # -- what the registry tells us --------------------------------------------------
    @consumes("registry", "organisation_verified")
    def on_organisation_verified(self, env, org):
        """Offers sent with the questionnaire go on the wall once the sender is verified."""
        erased = self.store.is_erased(org["id"])  # its erasure may have overtaken this
        for number, held in enumerate(org.get("held_offers") or []):
            offer_id = "off_" + hashlib.sha256(f"{org['id']}:{number}".encode()).hexdigest()[:24]
            data = {**held, "organisation_id": org["id"]}
            fields = api.iso_dates(api.load(api.OfferIn(), data))
            offer = domain.pledge_offer(fields, offer_id, utcnow())
            if erased:
                offer = domain.forget_offer_text(offer, utcnow())
            self.store.insert_once("offers", offer, ["offer_pledged"])
            self.store.publish(self.dispatch, "offers", offer_id)

    @consumes("registry", "organisation_updated")
    def on_organisation_updated(self, env, org):
        """Erasure: the organisation's offers keep their domain, title, capacity and
        history (the commitment document counts them), but not their description, free
        text that may name a person; offer_updated lets every copy forget it too."""
        if not org.get("erased"):
            return
        self.store.note_erased(org["id"])
        for offer_id in self.store.offer_ids_of(org["id"]):

            def attempt(offer_id=offer_id):
                offer = self.store.get_offer(offer_id)
                if offer.get("org_erased"):
                    return None  # forgotten already (a redelivery)
                forgotten = domain.forget_offer_text(offer, utcnow())
                return self.store.replace("offers", forgotten, ["offer_updated"])

            if retry_stale(attempt) is not None:
                self.store.publish(self.dispatch, "offers", offer_id)

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

    @timer(interval=1)
    def relay_events(self):
        """Publish events whose writer stopped before it could."""
        self.store.flush_outbox(self.dispatch)

    # -- helpers -----------------------------------------------------------------------
    def _apply_match(self, match: dict) -> None:
        """Idempotent: a match's revision orders its events, whatever their arrival."""
        self.store.record_match(match)
        if match.get("offer_revision") is not None:
            retry_stale(lambda: self._apply_remaining(match))
        self._refresh_need(match["need_id"], unmatched=False)

    def _apply_remaining(self, match: dict) -> None:
        offer = self.store.record_remaining(match["offer_id"], match["offer_revision"])
        if offer is not None:
            allocated = match.get("offer_allocated")
            if allocated is None:  # written before events carried the allocation
                allocated = offer["capacity"] - match["offer_remaining"]
            updated = domain.apply_allocation(offer, allocated)
            updated["remaining_revision"] = match["offer_revision"]
            self.store.replace("offers", updated)

    def _refresh_need(self, need_id: str, unmatched: bool) -> None:
        def attempt():
            need = self.store.get_need(need_id)
            flag = unmatched or need.get("unmatched", False)
            matches = self.store.matches_of(need_id)
            if not unmatched and any(m["status"] in domain.LIVE for m in matches):
                flag = False
            status = domain.need_status(need, matches, flag)
            if status != need["status"] or flag != need.get("unmatched", False):
                self.store.replace("needs", {**need, "status": status, "unmatched": flag})

        retry_stale(attempt)

    def _refuse_if_erased(self, org_id: str) -> None:
        """An erased organisation pledges and edits nothing more (its token may still be
        valid): whatever it wrote would stand on the wall under no name. It may withdraw."""
        if self.store.is_erased(org_id):
            raise Conflict(f"organisation {org_id} was erased", {"organisation_id": ["erased"]})

    def _present_need(self, need: dict) -> dict:
        return api.present(api.Need, {**need, "matches": self.store.matches_of(need["_id"])})
