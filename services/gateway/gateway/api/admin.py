"""What admins need to see: events the services could not handle."""

import logging
import re

from marshmallow import INCLUDE, Schema, fields
from nameko.exceptions import UnknownService

from tilts_contracts.errors import Unavailable

from .base import SERVICES, Routes
from .http import json_response
from .listing import Listing
from .routing import ADMIN, STAFF, tagged
from .rpc import call_all

log = logging.getLogger(__name__)
route = tagged("operations")

# "<parked_at>.<n>": older than that time, or at it but after the first n shown
PARKED_CURSOR = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\.(\d{1,4})")
PARKED = Listing({}, PARKED_CURSOR)
# the counts each service gives: those of a service that did not answer are null
COUNTED = {
    "registry": ("organisations",),
    "pledges": ("offers", "needs"),
    "matching": ("matches", "parked_events"),
    "notify": ("notifications",),
}


class Stats(Schema):
    """Counts by status; a service that did not answer leaves its counts null."""

    class Meta:
        unknown = INCLUDE  # a service may count something new

    organisations = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    offers = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    needs = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    matches = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    parked_events = fields.Integer(allow_none=True)
    notifications = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    down = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "services that did not answer: their counts are null"},
    )


class AdminRoutes(Routes):
    @route("GET", "/api/admin/parked-events", who=ADMIN, listing=PARKED)
    def parked_events(self, request):
        """Every backend's parked events (unknown schema version, malformed, or a bug),
        newest first, a page at a time across the services."""
        _, limit, cursor = PARKED.read(request)
        before, skip = None, 0
        if cursor:
            found = PARKED_CURSOR.fullmatch(cursor)
            before, skip = found.group(1), int(found.group(2))
        items = []
        for name in SERVICES:
            for event in self._rpc(name, "parked_events", limit + skip + 1, before):
                items.append({"service": name, **event})
        items.sort(
            key=lambda e: (e.get("parked_at", ""), e["service"], str(e.get("_id"))),
            reverse=True,
        )
        items = items[skip:]
        page, more = items[:limit], len(items) > limit
        nxt = None
        if more:
            last = page[-1]["parked_at"]
            same = sum(1 for e in page if e.get("parked_at") == last)
            nxt = f"{last}.{same + (skip if last == before else 0)}"
        return json_response({"items": page, "next": nxt})

    @route("GET", "/api/admin/stats", who=STAFF, answer=Stats)
    def stats(self, request):
        """Counts from every backend: organisations, offers, needs, matches, emails.

        A service that does not answer leaves its counts null and is named in `down`,
        so one service down still shows the others' counts (503 only if none answered)."""
        counts = self.counts()
        if len(counts["down"]) == len(SERVICES):
            raise Unavailable("no service answered", {"down": counts["down"]})
        return json_response(counts)

    def counts(self) -> dict:
        answers = call_all(
            {name: (getattr(self, name), "counts") for name in SERVICES}, self.config.timeout
        )
        merged: dict = {key: None for name in SERVICES for key in COUNTED[name]}
        down = []
        for name in SERVICES:
            answer = answers[name]
            if isinstance(answer, dict):
                merged.update(answer)
                continue
            down.append(name)
            if not isinstance(answer, (Unavailable, UnknownService)):  # broken, not down
                log.error("%s.counts failed: %r", name, answer)
        return {**merged, "down": down}
