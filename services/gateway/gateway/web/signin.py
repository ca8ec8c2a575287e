"""Signing in by emailed link, and out: /signin, /signin/<token>, /signout.

The answer to a sign-in request is the same page whatever the address (known, unknown,
limited, or junk): nobody learns who has an account. GET of a link only shows a button
(mail scanners open links); POST uses it, once.
"""

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from tilts_contracts.errors import TiltsError

from ..api.routing import tagged
from . import session
from .access_words import ACCESS
from .pages import PageRoutes, language, page, trouble, undecodable, unreadable

route = tagged("access")
LONGEST_ADDRESS = 254
HOME = {"organisation": "/org", "staff": "/console"}
LINK_STATUS = {"used": 409, "expired": 410, "unknown": 404}


class AccessPages(PageRoutes):
    """What the sign-in pages and the landing pages share: cookies, CSRF, the 403 page."""

    @property
    def secure(self) -> bool:
        return self.config.public_url.startswith("https:")

    def _access_page(self, request, template: str, status: int = 200, **context) -> Response:
        """A page with a form: its CSRF token in the form, and in a cookie before a session."""
        lang = context.pop("lang", None) or language(request)
        token, new_cookie = session.form_csrf(request, self.config.link_key)
        response = page(self, template, status, lang=lang, w=ACCESS[lang], csrf=token, **context)
        if new_cookie:
            session.set_cookie(response, session.CSRF_COOKIE, new_cookie, self.secure)
        return response

    def _refused(self, request) -> Response:
        lang = language(request)
        return page(self, "forbidden.html", 403, lang=lang, w=ACCESS[lang])

    def _form_refused(self, request) -> Response | None:
        """The answer to a posted form that cannot be taken, else None: fields that are
        not UTF-8 text (400, naming them), no CSRF token (403)."""
        bad = undecodable(request)
        if bad:
            return unreadable(self, request, bad, language(request))
        return None if self._csrf_checked(request) else self._refused(request)

    def _csrf_checked(self, request) -> bool:
        try:
            session.check_csrf(request, self.config.link_key)
        except session.CsrfRefused:
            return False
        return True


class SigninRoutes(AccessPages):
    @route("GET", "/signin", answer="text/html", query=("lang",))
    def signin_form(self, request):
        """The sign-in form: one field, the email address."""
        return self._access_page(request, "signin.html", email="")

    @route("POST", "/signin", body="form", answer="text/html", page_errors=(403,))
    def signin_request(self, request):
        """Emails a link to a known address; the same page for every address."""
        if not self._csrf_checked(request):
            return self._refused(request)
        lang = language(request)
        email = request.form.get("email", "")
        if 0 < len(email) <= LONGEST_ADDRESS:  # junk is answered without asking anyone
            try:
                self._rpc("registry", "request_signin", email, request.remote_addr or "?", lang)
            except TiltsError as exc:
                return trouble(self, request, exc, lang)
        return self._access_page(request, "signin_sent.html", lang=lang)

    @route("GET", "/signin/<token>", answer="text/html", query=("lang",))
    def signin_link(self, request, token):
        """A button that signs in; opening the link changes nothing."""
        return self._access_page(request, "signin_link.html")

    @route("POST", "/signin/<token>", answer="text/html", page_errors=(404, 409, 410))
    def signin_use(self, request, token):
        """Uses the link (once) and starts a session: 303 to /org or /console. The link
        itself is the authority here, so no CSRF token is asked for."""
        lang = language(request)
        try:
            used = self._rpc("registry", "use_signin", token)
        except TiltsError as exc:
            return trouble(self, request, exc, lang, link=True)
        if used["status"] != "ok":
            status = used["status"]
            return self._access_page(
                request,
                "signin_done.html",
                LINK_STATUS.get(status, 404),
                lang=lang,
                message=ACCESS[lang].get(status, ACCESS[lang]["unknown"]),
            )
        response = redirect(HOME[used["identity"]["kind"]], 303)
        session.set_cookie(
            response, session.SESSION_COOKIE, used["session"], self.secure, session.SESSION_DAYS
        )
        return response

    @route("POST", "/signout", body="form", answer="text/html", page_errors=(403,))
    def signout(self, request):
        """Ends the session here and in the registry; 303 to /signin."""
        if not self._csrf_checked(request):
            return self._refused(request)
        sid = session.session_id(request)
        if sid:
            self._rpc("registry", "end_session", sid)
            self.access.forget(("session", sid))
        response = redirect(f"/signin?lang={language(request)}", 303)
        session.clear_cookie(response, session.SESSION_COOKIE, self.secure)
        return response
