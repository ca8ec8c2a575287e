"""Offers: the resource wall's entries (pledges)."""

from tilts_contracts import taxonomy
from tilts_contracts.errors import Invalid, NotFound

from ..http import json_response, read_json, route
from .base import (
    SAFE_ID,
    Routes,
    checked_filters,
    checked_id,
    creation_id,
    flag_arg,
    id_cursor,
    list_args,
)

OFFER_STATUSES = ("active", "withdrawn", "exhausted")
FILTERS = {
    "domain": taxonomy.DOMAINS,
    "region": taxonomy.OFFER_REGIONS,
    "status": OFFER_STATUSES,
    "organisation_id": id_cursor("org"),
}
CURSOR = id_cursor("off")


class OfferRoutes(Routes):
    @route("POST", "/api/offers")
    def pledge_offer(self, request):
        who = self._caller(request, "admin", "coordinator", "organisation")
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
        return json_response(self._rpc("pledges", "pledge_offer", data, offer_id), 201)

    @route("GET", "/api/offers")
    def list_offers(self, request):
        who = self._caller(request)
        filters, limit, cursor = list_args(
            request, ("domain", "region", "organisation_id", "status"), CURSOR
        )
        checked_filters(filters, FILTERS)
        if not who.is_staff:
            filters["organisation_id"] = who.org
        return json_response(self._rpc("pledges", "list_offers", filters, limit, cursor))

    @route("GET", "/api/offers/<offer_id>")
    def get_offer(self, request, offer_id):
        who = self._caller(request)
        offer = self._rpc("pledges", "get_offer", checked_id(offer_id))
        who.require_org_or_staff(offer["organisation_id"])
        return json_response(offer)

    @route("PATCH", "/api/offers/<offer_id>")
    def update_offer(self, request, offer_id):
        who = self._caller(request)
        offer = self._rpc("pledges", "get_offer", checked_id(offer_id))
        who.require_org_or_staff(offer["organisation_id"])
        changes = read_json(request)
        force = flag_arg(request, "force")
        return json_response(self._rpc("pledges", "update_offer", offer_id, changes, force))

    @route("POST", "/api/offers/<offer_id>/withdraw")
    def withdraw_offer(self, request, offer_id):
        who = self._caller(request)
        offer = self._rpc("pledges", "get_offer", checked_id(offer_id))
        who.require_org_or_staff(offer["organisation_id"])
        force = flag_arg(request, "force")
        return json_response(self._rpc("pledges", "withdraw_offer", offer_id, force))
