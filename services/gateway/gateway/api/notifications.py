"""The email outbox, delivery preferences and gap-alert subscriptions (notify)."""

import re

from werkzeug.wrappers import Response

from tilts_contracts.errors import NotFound
from tilts_contracts.schemas import notifications as schemas
from tilts_contracts.schemas.common import id_shape

from .base import Routes, checked_id
from .http import json_response, read_json
from .listing import Listing
from .routing import ANYONE, STAFF, tagged

route = tagged("notifications")
NOTE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,120}")
# the outbox pages by "<created_at>.<id>" (its ids come from events, in no time order)
NOTE_CURSOR = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.[A-Za-z0-9_.:-]{1,120}")
NOTIFICATIONS = Listing(schemas.FILTERS, NOTE_CURSOR)
SUBSCRIPTIONS = Listing({}, id_shape("sub"))


class NotificationRoutes(Routes):
    @route("GET", "/api/notifications", who=STAFF, listing=NOTIFICATIONS)
    def list_notifications(self, request):
        filters, limit, cursor = NOTIFICATIONS.read(request)
        return json_response(self._rpc("notify", "list_notifications", filters, limit, cursor))

    @route("POST", "/api/notifications/<note_id>/resend", who=STAFF)
    def resend_notification(self, request, note_id):
        if not NOTE_ID.fullmatch(note_id):
            raise NotFound("no such notification", {"id": note_id[:60]})
        return json_response(self._rpc("notify", "resend", note_id))

    @route("GET", "/api/organisations/<org_id>/notification-preferences", who=ANYONE)
    def get_preferences(self, request, org_id):
        request.caller.require_org_or_staff(org_id)
        return json_response(self._rpc("notify", "get_preferences", checked_id(org_id)))

    @route(
        "PUT",
        "/api/organisations/<org_id>/notification-preferences",
        who=ANYONE,
        body=schemas.Preferences,
    )
    def set_preferences(self, request, org_id):
        request.caller.require_org_or_staff(org_id)
        data = read_json(request)
        return json_response(self._rpc("notify", "set_preferences", checked_id(org_id), data))

    @route("GET", "/api/subscriptions", who=STAFF, listing=SUBSCRIPTIONS)
    def list_subscriptions(self, request):
        _, limit, cursor = SUBSCRIPTIONS.read(request)
        return json_response(self._rpc("notify", "list_subscriptions", limit, cursor))

    @route("POST", "/api/subscriptions", who=STAFF, body=schemas.Subscription, status=201)
    def subscribe(self, request):
        return json_response(self._rpc("notify", "subscribe", read_json(request)), 201)

    @route("DELETE", "/api/subscriptions/<sub_id>", who=STAFF, status=204)
    def unsubscribe(self, request, sub_id):
        self._rpc("notify", "unsubscribe", checked_id(sub_id))
        return Response(status=204)
