"""The email outbox (notify)."""

from ..http import json_response, route
from .base import Routes, list_args


class NotificationRoutes(Routes):
    @route("GET", "/api/notifications")
    def list_notifications(self, request):
        self._caller(request, "admin", "coordinator")
        filters, limit, cursor = list_args(request, ("status", "recipient", "template"))
        return json_response(self._rpc("notify", "list_notifications", filters, limit, cursor))
