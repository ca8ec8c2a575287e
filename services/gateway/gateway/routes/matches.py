"""Matches and their answers (matching)."""

from ..http import json_response, route
from .base import Routes, checked_filters, checked_id, id_cursor, list_args

MATCH_STATUSES = ("proposed", "accepted", "declined", "expired", "fulfilled", "cancelled")
CURSOR = id_cursor("mat")
FILTERS = {
    "status": MATCH_STATUSES,
    "need_id": id_cursor("need"),
    "organisation_id": id_cursor("org"),
}


class MatchRoutes(Routes):
    @route("GET", "/api/matches")
    def list_matches(self, request):
        who = self._caller(request)
        filters, limit, cursor = list_args(
            request, ("need_id", "organisation_id", "status"), CURSOR
        )
        checked_filters(filters, FILTERS)
        if not who.is_staff:
            filters["organisation_id"] = who.org
        return json_response(self._rpc("matching", "list_matches", filters, limit, cursor))

    @route("POST", "/api/matches/<match_id>/<any(accept,decline,fulfil):action>")
    def answer_match(self, request, match_id, action):
        who = self._caller(request)
        match = self._rpc("matching", "get_match", checked_id(match_id))
        who.require_org_or_staff(match["organisation_id"])
        org = None if who.is_staff else who.org
        return json_response(self._rpc("matching", f"{action}_match", match_id, org))
