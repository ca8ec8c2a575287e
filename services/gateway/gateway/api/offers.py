"""Offers: the resource wall's entries (pledges)."""

from tilts_contracts.errors import Invalid, NotFound
from tilts_contracts.schemas import offers as schemas
from tilts_contracts.schemas.common import id_shape
from tilts_runtime.queues import broadcast

from .base import SAFE_ID, Routes, checked_id, creation_id, flag_arg
from .http import encoded_response, json_response, read_json
from .listcache import EMPTIED_BY, ListCache, Lists, audience
from .listing import Listing
from .routing import ANYONE, page_of, tagged

route = tagged("offers")
OFFERS = Listing(schemas.FILTERS, id_shape("off"))


class OfferRoutes(Routes):
    lists: Lists = ListCache()  # GET /api/offers answers, kept <= 2 s (listcache.py)

    @broadcast(EMPTIED_BY)
    def forget_offer_lists(self, event):
        """Every gateway process hears of each change and drops the lists it keeps."""
        self.lists.empty()

    @route(
        "POST", "/api/offers", who=ANYONE, body=schemas.OfferIn, answer=schemas.Offer, status=201
    )
    def pledge_offer(self, request):
        who = request.caller
        data = read_json(request)
        if who.role == "organisation":
            data.setdefault("organisation_id", who.org)
            who.require_org_or_staff(data["organisation_id"])
        org_id = data.get("organisation_id")
        if isinstance(org_id, str) and SAFE_ID.fullmatch(org_id):
            try:
                self._rpc("registry", "get_organisation", org_id)
            except NotFound as exc:
                raise Invalid(
                    "no such organisation", {"organisation_id": ["unknown organisation"]}
                ) from exc
        offer_id = creation_id(request, "off", who)
        offer = self._rpc("pledges", "pledge_offer", data, offer_id, who.sub)
        self.lists.empty()  # this process's next list shows it, whatever the events do
        return json_response(offer, 201)

    @route("GET", "/api/offers", who=ANYONE, answer=page_of(schemas.Offer), listing=OFFERS)
    def list_offers(self, request):
        """Offers (an organisation: its own); an answer may be up to 2 s old."""
        filters, limit, cursor = OFFERS.read(request)
        if not request.caller.is_staff:
            filters["organisation_id"] = request.caller.org
        # keyed by who may see it and by every argument pledges gets: nothing else
        # changes its answer, so no caller is shown a list made for another's view
        key = (audience(request.caller), tuple(sorted(filters.items())), limit, cursor)
        load = lambda: self._rpc("pledges", "list_offers", filters, limit, cursor)  # noqa: E731
        return encoded_response(self.lists.fetch(key, load))

    @route("GET", "/api/offers/<offer_id>", who=ANYONE, answer=schemas.Offer)
    def get_offer(self, request, offer_id):
        return json_response(self._own_offer(request, offer_id))

    @route(
        "PATCH",
        "/api/offers/<offer_id>",
        who=ANYONE,
        body=schemas.OfferEdit(partial=True),
        answer=schemas.Offer,
        query=("force",),
    )
    def update_offer(self, request, offer_id):
        self._own_offer(request, offer_id)
        changes = read_json(request)
        force = flag_arg(request, "force")
        by = request.caller.sub
        offer = self._rpc("pledges", "update_offer", offer_id, changes, force, by)
        self.lists.empty()
        return json_response(offer)

    @route(
        "POST",
        "/api/offers/<offer_id>/withdraw",
        who=ANYONE,
        answer=schemas.Offer,
        query=("force",),
    )
    def withdraw_offer(self, request, offer_id):
        self._own_offer(request, offer_id)
        force = flag_arg(request, "force")
        by = request.caller.sub
        offer = self._rpc("pledges", "withdraw_offer", offer_id, force, by)
        self.lists.empty()
        return json_response(offer)

    @route(
        "POST",
        "/api/offers/<offer_id>/<any(pause,resume):action>",
        who=ANYONE,
        answer=schemas.Offer,
    )
    def pause_offer(self, request, offer_id, action):
        """Pause: off the wall, nothing new proposed, requests already sent stand.
        Resume: back on the wall and offered to the needs waiting. 409 from a state
        that does not allow it."""
        self._own_offer(request, offer_id)
        by = request.caller.sub
        return json_response(self._rpc("pledges", f"{action}_offer", offer_id, by))

    def _own_offer(self, request, offer_id: str) -> dict:
        """The offer, if the caller is staff or the organisation that made it."""
        offer = self._rpc("pledges", "get_offer", checked_id(offer_id))
        request.caller.require_org_or_staff(offer["organisation_id"])
        return offer
