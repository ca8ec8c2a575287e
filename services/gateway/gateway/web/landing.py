"""The landing pages of people signed in: /org for an organisation's contacts, /console
for staff. Who you are, your personal tokens (make one, shown once; revoke), sign out.
The organisation and console pages grow from here."""

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from tilts_contracts.errors import Invalid, TiltsError
from tilts_contracts.tokens import MAX_TOKEN_DAYS

from ..api.access import session_identity
from ..api.routing import tagged
from ..api.tokens import issue
from . import session
from .access_words import ACCESS
from .pages import language, trouble
from .signin import HOME, AccessPages

route = tagged("access")
AREAS = {"org": "organisation", "console": "staff"}


class LandingRoutes(AccessPages):
    def _identity(self, request, area: str) -> tuple[dict | None, Response | None]:
        """The signed-in identity, or the redirect: no session to /signin, the other
        kind of account to its own page."""
        identity = session_identity(self, session.session_id(request))
        if identity is None:
            return None, redirect(f"/signin?lang={language(request)}", 303)
        if AREAS[area] != identity["kind"]:
            return None, redirect(HOME[identity["kind"]], 303)
        return identity, None

    def _landing(self, request, area: str, status: int = 200, **context) -> Response:
        identity, away = self._identity(request, area)
        if away:
            return away
        tokens = self._rpc("registry", "list_tokens", identity["account"])["items"]
        return self._access_page(
            request,
            "landing.html",
            status,
            area=area,
            me=identity,
            tokens=tokens,
            longest=MAX_TOKEN_DAYS[identity["role"]],
            **context,
        )

    @route("GET", "/<any(org, console):area>", answer="text/html", query=("lang",))
    def landing(self, request, area):
        """Who you are, your API tokens, sign out; without a session: 303 to /signin."""
        try:
            return self._landing(request, area)
        except TiltsError as exc:
            return trouble(self, request, exc, language(request))

    @route(
        "POST",
        "/<any(org, console):area>/tokens",
        body="form",
        answer="text/html",
        page_errors=(400, 403),
    )
    def landing_make_token(self, request, area):
        """Make a personal token and show it, once."""
        refused = self._form_refused(request)
        if refused:
            return refused
        try:
            return self._make_token(request, area)
        except TiltsError as exc:  # a backend down: a page keeping what was typed
            return trouble(self, request, exc, language(request))

    def _make_token(self, request, area):
        identity, away = self._identity(request, area)
        if away:
            return away
        name, days = request.form.get("name", ""), request.form.get("days", "")
        try:
            made = issue(self, identity["account"], name, int(days) if days.isdigit() else None)
        except Invalid as exc:  # beside each field, in the page's words; typed kept
            words = ACCESS[language(request)]
            longest = MAX_TOKEN_DAYS[identity["role"]]
            bad = [k for k in exc.details if f"bad_{k}" in words]
            errors = {k: [words[f"bad_{k}"].format(days=longest)] for k in bad}
            return self._landing(request, area, 400, errors=errors, typed=request.form)
        return self._landing(request, area, made=made)

    @route(
        "POST",
        "/<any(org, console):area>/tokens/<token_id>/revoke",
        body="form",
        answer="text/html",
        page_errors=(400, 403),
        page_or_json_errors=(404,),  # another's token: a page; an unknown address: JSON
    )
    def landing_revoke_token(self, request, area, token_id):
        """Revoke one of one's own tokens; back to the page (303). Another's token, or
        a backend that is down, is a page, not the API's JSON."""
        refused = self._form_refused(request)
        if refused:
            return refused
        try:
            identity, away = self._identity(request, area)
            if away:
                return away
            self._rpc("registry", "revoke_token", identity["account"], token_id[:100])
        except TiltsError as exc:
            return trouble(self, request, exc, language(request))
        self.access.forget(("token", token_id[:100]))
        return redirect(f"/{area}?lang={language(request)}", 303)
