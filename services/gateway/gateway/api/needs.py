"""Needs posted by coordinators (pledges)."""

from tilts_contracts.schemas import needs as schemas
from tilts_contracts.schemas.common import id_shape

from .base import Routes, checked_id, creation_id
from .http import json_response, read_json
from .listing import Listing
from .routing import STAFF, page_of, tagged

route = tagged("needs")
NEEDS = Listing(schemas.FILTERS, id_shape("need"))


def within(who) -> list[str] | None:
    """The working groups a lead may change needs in; None: every group."""
    return list(who.domains) if who.role == "coordinator" and who.domains else None


class NeedRoutes(Routes):
    @route("POST", "/api/needs", who=STAFF, body=schemas.NeedIn, answer=schemas.Need, status=201)
    def post_need(self, request):
        who = request.caller
        data = read_json(request)
        need_id = creation_id(request, "need", who)
        # who posted it: emails about the need answer to that coordinator (Reply-To)
        need = self._rpc(
            "pledges", "post_need", data, need_id, who.email or who.sub, who.sub, within(who)
        )
        return json_response(need, 201)

    @route("GET", "/api/needs", who=STAFF, answer=page_of(schemas.Need), listing=NEEDS)
    def list_needs(self, request):
        filters, limit, cursor = NEEDS.read(request)
        return json_response(self._rpc("pledges", "list_needs", filters, limit, cursor))

    @route("GET", "/api/needs/<need_id>", who=STAFF, answer=schemas.Need)
    def get_need(self, request, need_id):
        return json_response(self._rpc("pledges", "get_need", checked_id(need_id)))

    # a PATCH changes only the fields it sends: partial schemas, nothing required
    @route(
        "PATCH",
        "/api/needs/<need_id>",
        who=STAFF,
        body=schemas.NeedIn(partial=True),
        answer=schemas.Need,
    )
    def update_need(self, request, need_id):
        who, changes = request.caller, read_json(request)
        need = self._rpc(
            "pledges", "update_need", checked_id(need_id), changes, who.sub, within(who)
        )
        return json_response(need)

    @route("POST", "/api/needs/<need_id>/cancel", who=STAFF, answer=schemas.Need)
    def cancel_need(self, request, need_id):
        who = request.caller
        need = self._rpc("pledges", "cancel_need", checked_id(need_id), who.sub, within(who))
        return json_response(need)
