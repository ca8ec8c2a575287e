"""The email outbox, delivery preferences and gap-alert subscriptions (notify)."""

import re

from werkzeug.wrappers import Response

from tilts_contracts.errors import NotFound, TiltsError
from tilts_contracts.tokens import LinkExpired, LinkInvalid, read_unsubscribe_link

from .. import pages
from ..http import json_response, read_json, route
from .base import NOTE_CURSOR, Routes, checked_filters, checked_id, id_cursor, list_args

NOTE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,120}")
FILTERS = {"organisation_id": id_cursor("org")}  # status and template: notify checks them
SUB_CURSOR = id_cursor("sub")

DIGEST_OFF = {
    "lv": {
        "ask": "Saņemt katru lūgumu vai ziņojumu atsevišķā vēstulē, nevis dienas apkopojumā?",
        "button": "Jā, sūtīt atsevišķi",
        "done": "Turpmāk katru lūgumu un ziņojumu sūtīsim atsevišķā vēstulē.",
        "bad": "Šī saite nav derīga vai ir novecojusi.",
    },
    "en": {
        "ask": "Get every request or alert as its own email instead of the daily digest?",
        "button": "Yes, send them one by one",
        "done": "From now on each request and alert comes as its own email.",
        "bad": "This link is not valid or has expired.",
    },
}


class NotificationRoutes(Routes):
    @route("GET", "/api/notifications")
    def list_notifications(self, request):
        self._caller(request, "admin", "coordinator")
        filters, limit, cursor = list_args(
            request, ("status", "recipient", "template", "organisation_id"), NOTE_CURSOR
        )
        checked_filters(filters, FILTERS)
        return json_response(self._rpc("notify", "list_notifications", filters, limit, cursor))

    @route("POST", "/api/notifications/<note_id>/resend")
    def resend_notification(self, request, note_id):
        self._caller(request, "admin", "coordinator")
        if not NOTE_ID.fullmatch(note_id):
            raise NotFound("no such notification", {"id": note_id[:60]})
        return json_response(self._rpc("notify", "resend", note_id))

    @route("GET", "/api/organisations/<org_id>/notification-preferences")
    def get_preferences(self, request, org_id):
        self._caller(request).require_org_or_staff(org_id)
        return json_response(self._rpc("notify", "get_preferences", checked_id(org_id)))

    @route("PUT", "/api/organisations/<org_id>/notification-preferences")
    def set_preferences(self, request, org_id):
        self._caller(request).require_org_or_staff(org_id)
        data = read_json(request)
        return json_response(self._rpc("notify", "set_preferences", checked_id(org_id), data))

    @route("GET", "/api/subscriptions")
    def list_subscriptions(self, request):
        self._caller(request, "admin", "coordinator")
        _, limit, cursor = list_args(request, (), SUB_CURSOR)
        return json_response(self._rpc("notify", "list_subscriptions", limit, cursor))

    @route("POST", "/api/subscriptions")
    def subscribe(self, request):
        self._caller(request, "admin", "coordinator")
        return json_response(self._rpc("notify", "subscribe", read_json(request)), 201)

    @route("DELETE", "/api/subscriptions/<sub_id>")
    def unsubscribe(self, request, sub_id):
        self._caller(request, "admin", "coordinator")
        self._rpc("notify", "unsubscribe", checked_id(sub_id))
        return Response(status=204)

    @route("GET,POST", "/notifications/digest-off/<token>")
    def digest_off(self, request, token):
        """The digest's List-Unsubscribe link: GET asks, POST (or one-click) switches.
        The link names an organisation, or a coordinator's gap-alert subscription."""
        lang = pages.language(request)
        words = DIGEST_OFF[lang]
        try:
            holder_id = read_unsubscribe_link(self.config.secret, token)
        except (LinkExpired, LinkInvalid):
            return pages.page(self, "respond_done.html", 404, lang=lang, message=words["bad"])
        if request.method == "POST":
            try:
                self._rpc("notify", "digest_off", holder_id)
            except TiltsError as exc:
                return pages.trouble(self, request, exc, lang, link=True)
            return pages.page(self, "respond_done.html", lang=lang, message=words["done"])
        return pages.page(
            self, "confirm.html", lang=lang, message=words["ask"], button=words["button"]
        )
