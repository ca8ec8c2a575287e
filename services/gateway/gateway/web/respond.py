"""The page behind the link in a match email: GET only shows, POST answers once."""

from werkzeug.wrappers import Response

from tilts_contracts.errors import Conflict, Forbidden, NotFound, TiltsError
from tilts_contracts.tokens import LinkExpired, LinkInvalid, read_response_link

from ..api.routing import tagged
from .pages import PageRoutes, language, page, trouble
from .words import TEXT

route = tagged("pages")
LINK_ERRORS = (404, 410, 503)


def answered(t: dict, status: str) -> str:
    """What a link says once its request is no longer open, in the reader's words."""
    return t.get(f"now_{status}", t["already"])


def _org_language(details: dict | None) -> str | None:
    return ((details or {}).get("organisation") or {}).get("preferred_language")


class RespondRoutes(PageRoutes):
    @route("GET", "/respond/<token>", answer="text/html", query=("lang",), page_errors=LINK_ERRORS)
    def respond_page(self, request, token):
        """Shows the request and the buttons; changes nothing (mail scanners open links)."""
        return self._respond(request, token, act=False)

    @route(
        "POST",
        "/respond/<token>",
        body="form",
        answer="text/html",
        query=("lang",),
        page_errors=(400, 409) + LINK_ERRORS,
    )
    def respond_action(self, request, token):
        return self._respond(request, token, act=True)

    def _respond(self, request, token: str, act: bool) -> Response:
        """With matching down, a page saying to come back (the link still works), not a
        JSON error."""
        try:
            return self._follow(request, token, act)
        except TiltsError as exc:
            return trouble(self, request, exc, language(request), link=True)

    def _follow(self, request, token: str, act: bool) -> Response:
        try:
            link = read_response_link(self.config.link_keys, token)
        except LinkExpired as expired:
            return self._expired(request, expired.claims.get("match"))
        except LinkInvalid:
            return self._invalid(request)
        details = self._details(link["match"])
        if details is None:
            return self._invalid(request)
        lang = language(request, _org_language(details))
        t = TEXT[lang]
        if details["status"] != "proposed":  # answered: say so, whatever was sent
            message = answered(t, details["status"])
            return page(self, "respond_done.html", 409 if act else 200, lang=lang, message=message)
        if act:
            return self._answer(request, link, details, token, lang)
        return page(self, "respond.html", lang=lang, m=details, token=token, error=None)

    def _answer(self, request, link: dict, details: dict, token: str, lang: str) -> Response:
        """Accept or decline, once; a button not pressed shows the buttons again."""
        t = TEXT[lang]
        action = request.form.get("action")
        if action not in ("accept", "decline"):
            return page(
                self, "respond.html", 400, lang=lang, m=details, token=token, error=t["bad_action"]
            )
        try:
            by = f"organisation:{link['org']}"  # whoever holds the organisation's link
            done = self._rpc("matching", f"{action}_match", link["match"], link["org"], by)
        except (Conflict, Forbidden):
            current = self._rpc("matching", "get_match", link["match"])
            message = answered(t, current["status"])
            return page(self, "respond_done.html", 409, lang=lang, message=message)
        return page(self, "respond_done.html", lang=lang, message=t[done["status"]])

    def _expired(self, request, match_id: str | None) -> Response:
        """The signature is good, only the time is up: say what became of the request, in
        the organisation's language (the browser's may be anything)."""
        details = self._details(match_id)
        lang = language(request, _org_language(details))
        t = TEXT[lang]
        gone = details and details["status"] != "proposed"
        message = answered(t, details["status"]) if gone else t["expired"]
        return page(self, "respond_done.html", 410, lang=lang, message=message)

    def _invalid(self, request) -> Response:
        lang = language(request)
        return page(self, "respond_done.html", 404, lang=lang, message=TEXT[lang]["invalid"])

    def _details(self, match_id: str | None) -> dict | None:
        if not match_id:
            return None
        try:
            return self._rpc("matching", "match_details", match_id)
        except NotFound:
            return None
