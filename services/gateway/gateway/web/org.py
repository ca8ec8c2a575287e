"""An organisation's own pages (/org): what they share, the overview, notification
settings and API tokens. Profile and contacts (org_profile.py), offers (org_offers.py),
requests (org_requests.py) and its data (org_data.py) build on `OrgPages`.

The organisation is always the signed-in contact's own: an id in an address is looked
up and refused (404) when it belongs to another.
"""

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from tilts_contracts import lifecycles, taxonomy
from tilts_contracts.errors import NotFound, TiltsError

from ..api.organisations import every
from ..api.routing import tagged
from .landing import LandingRoutes
from .org_words import ORG
from .pages import language, trouble

route = tagged("organisation pages")
NOTICES = ("saved", "accept", "decline", "fulfil")  # what ?done= may say after a change


def options(lang: str) -> dict:
    """[(code, name)] of each vocabulary a form offers, in the reader's language."""
    tables = {
        "domains": taxonomy.DOMAINS,
        "regions": taxonomy.OFFER_REGIONS,
        "languages": taxonomy.LANGUAGE_NAMES,
        "renews": taxonomy.RENEWALS,
        "urgencies": taxonomy.URGENCIES,
    }
    return {
        key: [(code, taxonomy.name(table, code, lang)) for code in table]
        for key, table in tables.items()
    }


class OrgPages(LandingRoutes):
    """What the /org pages share: who is signed in, their organisation, the page."""

    def _org_do(self, request, act, post: bool = False) -> Response:
        """`act(request, me)` for the signed-in contact: a POST without the CSRF token is
        refused (403), one not in UTF-8 too (400); no session goes to /signin; a
        backend's refusal is a page."""
        refused = post and self._form_refused(request)
        if refused:
            return refused
        try:
            me, away = self._identity(request, "org")  # the registry may be down too
            if away:
                return away
            return act(request, me)
        except TiltsError as exc:
            return trouble(self, request, exc, language(request))

    def _landing(self, request, area: str, status: int = 200, **context) -> Response:
        """The tokens section is the landing page's: with the sections of /org."""
        if area == "org":
            context = {"o": ORG[language(request)], "section": "tokens", **context}
        return super()._landing(request, area, status, **context)

    def _org(self, me: dict) -> dict:
        return self._rpc("registry", "get_organisation", me["organisation_id"])

    def _org_page(
        self, request, me: dict, template: str, status: int = 200, org=None, **context
    ) -> Response:
        lang = language(request)
        done = request.args.get("done")
        return self._access_page(
            request,
            f"org/{template}",
            status,
            me=me,
            org=org or self._org(me),
            o=ORG[lang],
            options=options(lang),
            section=template.removesuffix(".html"),
            done=done if done in NOTICES else None,
            **context,
        )

    def _org_back(self, request, path: str, done: str = "saved") -> Response:
        """After a change: 303 to the section, which says it is done (a reload sends
        nothing twice)."""
        return redirect(f"{path}?lang={language(request)}&done={done}", 303)

    def _org_own(self, me: dict, service: str, method: str, thing_id: str) -> dict:
        """An offer or a match of this organisation; another's is not found (404)."""
        try:
            thing = self._rpc(service, method, thing_id[:60])
        except NotFound:
            thing = None
        if not thing or thing.get("organisation_id") != me["organisation_id"]:
            raise NotFound("no such item of your organisation", {"id": thing_id[:60]})
        return thing

    def _org_every(self, service: str, method: str, filters: dict) -> list:
        return every(self, service, method, filters)


class OrgRoutes(OrgPages):
    @route("GET", "/org", answer="text/html", query=("lang", "done"))
    def org_overview(self, request):
        """The organisation at a glance: its status, what waits for it, the sections."""
        return self._org_do(request, self._org_overview)

    def _org_overview(self, request, me):
        mine = {"organisation_id": me["organisation_id"]}
        matches = self._org_every("matching", "list_matches", mine)
        offers = self._org_every("pledges", "list_offers", mine)
        counts = {s: sum(1 for m in matches if m["status"] == s) for s in lifecycles.OPEN_MATCH}
        kept = sum(1 for o in offers if o["status"] in lifecycles.KEPT_OFFER)
        return self._org_page(request, me, "overview.html", counts=counts, kept=kept)

    @route("GET", "/org/tokens", answer="text/html", query=("lang",))
    def org_tokens(self, request):
        """The contact's personal API tokens (the landing page's section)."""
        return self.landing(request, "org")

    @route("GET", "/org/settings", answer="text/html", query=("lang", "done"))
    def org_settings(self, request):
        """How requests reach the organisation: each at once, or a daily digest."""
        return self._org_do(request, self._org_settings)

    def _org_settings(self, request, me, status: int = 200, errors=None):
        prefs = self._rpc("notify", "get_preferences", me["organisation_id"])
        choices = lifecycles.DELIVERY_CHOICES
        return self._org_page(
            request, me, "settings.html", status, prefs=prefs, choices=choices, errors=errors
        )

    @route(
        "POST",
        "/org/settings",
        body="form",
        answer="text/html",
        page_errors=(400, 403),
        query=("lang",),
    )
    def org_settings_save(self, request):
        """Save the delivery choice; 303 back to the settings."""
        return self._org_do(request, self._org_save_settings, post=True)

    def _org_save_settings(self, request, me):
        delivery = request.form.get("delivery", "")
        if delivery not in lifecycles.DELIVERY_CHOICES:
            words = ORG[language(request)]
            return self._org_settings(request, me, 400, {"delivery": [words["fix_below"]]})
        self._rpc("notify", "set_preferences", me["organisation_id"], {"delivery": delivery})
        return self._org_back(request, "/org/settings")
