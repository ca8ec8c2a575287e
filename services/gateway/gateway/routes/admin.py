"""What admins need to see: events the services could not handle."""

from ..http import json_response, route
from .base import SERVICES, Routes


class AdminRoutes(Routes):
    @route("GET", "/api/admin/parked-events")
    def parked_events(self, request):
        """Every backend's parked events (unknown schema version, malformed, or a bug)."""
        self._caller(request, "admin")
        items = []
        for name in SERVICES:
            for event in self._rpc(name, "parked_events", 100):
                items.append({"service": name, **event})
        items.sort(key=lambda e: e.get("parked_at", ""), reverse=True)
        return json_response({"items": items, "next": None})

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
