"""Matches and their answers (matching)."""

from tilts_contracts.schemas import needs as schemas
from tilts_contracts.schemas.common import id_shape

from .base import Routes, checked_id
from .http import MAX_BODY, json_response, read_capped, read_json
from .listing import Listing
from .routing import ANYONE, page_of, tagged

route = tagged("matches")
MATCHES = Listing(schemas.MATCH_FILTERS, id_shape("mat"))


class MatchRoutes(Routes):
    @route("GET", "/api/matches", who=ANYONE, answer=page_of(schemas.Match), listing=MATCHES)
    def list_matches(self, request):
        filters, limit, cursor = MATCHES.read(request)
        if not request.caller.is_staff:
            filters["organisation_id"] = request.caller.org
        return json_response(self._rpc("matching", "list_matches", filters, limit, cursor))

    @route("POST", "/api/matches/<match_id>/accept", who=ANYONE, answer=schemas.Match)
    def accept_match(self, request, match_id):
        return json_response(self._answer_match(request, match_id, "accept"))

    @route(
        "POST",
        "/api/matches/<match_id>/decline",
        who=ANYONE,
        body=schemas.DeclineIn,
        body_optional=True,
        answer=schemas.Match,
    )
    def decline_match(self, request, match_id):
        """Decline; optionally with a `reason` from the short list and a `note`."""
        return json_response(self._answer_match(request, match_id, "decline", _said(request)))

    @route(
        "POST",
        "/api/matches/<match_id>/fulfil",
        who=ANYONE,
        body=schemas.FulfilIn,
        body_optional=True,
        answer=schemas.Match,
    )
    def fulfil_match(self, request, match_id):
        """Mark delivered; optionally with the `quantity` given (at most the match's)."""
        return json_response(self._answer_match(request, match_id, "fulfil", _said(request)))

    def _answer_match(self, request, match_id: str, action: str, said: dict | None = None) -> dict:
        who = request.caller
        match = self._rpc("matching", "get_match", checked_id(match_id))
        who.require_org_or_staff(match["organisation_id"])
        org = None if who.is_staff else who.org
        told = () if said is None else (said,)  # accept takes nothing more
        return self._rpc("matching", f"{action}_match", match_id, org, who.sub, *told)


def _said(request) -> dict:
    """The optional body of an answer: none at all is {}."""
    return read_json(request) if read_capped(request, MAX_BODY) else {}
