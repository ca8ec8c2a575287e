"""Needs posted by coordinators (pledges)."""

from tilts_contracts import taxonomy

from ..http import json_response, read_json, route
from .base import Routes, checked_filters, checked_id, creation_id, id_cursor, list_args

NEED_STATUSES = ("open", "matched", "fulfilled", "cancelled", "unmatched")
FILTERS = {
    "domain": taxonomy.DOMAINS,
    "region": taxonomy.REGIONS,  # a need is always somewhere in particular
    "status": NEED_STATUSES,
    "urgency": taxonomy.URGENCIES,
}
CURSOR = id_cursor("need")


class NeedRoutes(Routes):
    @route("POST", "/api/needs")
    def post_need(self, request):
        who = self._caller(request, "admin", "coordinator")
        data = read_json(request)
        need_id = creation_id(request, "need", who)
        # who posted it: emails about the need answer to that coordinator (Reply-To)
        need = self._rpc("pledges", "post_need", data, need_id, who.sub)
        return json_response(need, 201)

    @route("GET", "/api/needs")
    def list_needs(self, request):
        self._caller(request, "admin", "coordinator")
        filters, limit, cursor = list_args(
            request, ("domain", "region", "status", "urgency"), CURSOR
        )
        checked_filters(filters, FILTERS)
        return json_response(self._rpc("pledges", "list_needs", filters, limit, cursor))

    @route("GET", "/api/needs/<need_id>")
    def get_need(self, request, need_id):
        self._caller(request, "admin", "coordinator")
        return json_response(self._rpc("pledges", "get_need", checked_id(need_id)))

    @route("PATCH", "/api/needs/<need_id>")
    def update_need(self, request, need_id):
        self._caller(request, "admin", "coordinator")
        changes = read_json(request)
        return json_response(self._rpc("pledges", "update_need", checked_id(need_id), changes))

    @route("POST", "/api/needs/<need_id>/cancel")
    def cancel_need(self, request, need_id):
        self._caller(request, "admin", "coordinator")
        return json_response(self._rpc("pledges", "cancel_need", checked_id(need_id)))
