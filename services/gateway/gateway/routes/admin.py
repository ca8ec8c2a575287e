"""What admins need to see: events the services could not handle."""

import re

from ..http import json_response, route
from .base import SERVICES, Routes, list_args

# "<parked_at>.<n>": older than that time, or at it but after the first n shown
PARKED_CURSOR = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\.(\d{1,4})")


class AdminRoutes(Routes):
    @route("GET", "/api/admin/parked-events")
    def parked_events(self, request):
        """Every backend's parked events (unknown schema version, malformed, or a bug),
        newest first, a page at a time across the services."""
        self._caller(request, "admin")
        _, limit, cursor = list_args(request, (), PARKED_CURSOR)
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

    @route("GET", "/api/admin/stats")
    def stats(self, request):
        """Counts from every backend: organisations, offers, needs, matches, emails."""
        self._caller(request, "admin", "coordinator")
        return json_response(self.counts())

    def counts(self) -> dict:
        merged: dict = {}
        for name in SERVICES:
            merged.update(self._rpc(name, "counts"))
        return merged
