"""/console, the staff's pages: what every console page shares (who is signed in, the
words, the refusal pages, CSRF) and the home and account pages. Needs, organisations
and the rest live in console_needs.py, console_orgs.py and console_admin.py.

The pages call the backends as the API does, with the same rules: a working-group
lead's changes carry its groups (`within`), which pledges checks in the same write."""

import functools
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from tilts_contracts import taxonomy
from tilts_contracts.errors import TiltsError
from tilts_contracts.tokens import MAX_TOKEN_DAYS

from ..api.access import session_identity
from ..api.routing import tagged
from . import session
from .console_words import CONSOLE
from .pages import language, trouble
from .signin import HOME, AccessPages

route = tagged("console")
STAFF_ROLES = ("admin", "coordinator")


def within(me: dict) -> list[str] | None:
    """A lead's working groups, which its changes to needs are held to; None: all."""
    if me["role"] != "coordinator":
        return None
    return list(me.get("domains") or []) or None


def console_page(form: bool = False, admin: bool = False):
    """A console handler: signed-in staff only (no session: 303 to /signin; an
    organisation's contact: to /org), CSRF checked on a form, admins only where `admin`;
    a backend's refusal or silence is a page, never a traceback. The handler gets
    (self, request, me, **path)."""

    def decorate(handler):
        @functools.wraps(handler)
        def run(self, request, **path):
            if form and not self._csrf_checked(request):
                return self._refused(request)
            try:
                me, away = self._staff(request)
                if away:
                    return away
                if admin and me["role"] != "admin":
                    return self._not_allowed(request, me, CONSOLE[language(request)]["admins_only"])
                return handler(self, request, me, **path)
            except TiltsError as exc:
                return trouble(self, request, exc, language(request))

        return run

    return decorate


class Blank(dict):
    def __missing__(self, key):
        return ""


def say(words: dict, key: str, **values) -> str:
    """The note `key` of a page (none for an unknown key), with its blanks filled."""
    said = words.get(key) if isinstance(key, str) else None
    return said.format_map(Blank(values)) if isinstance(said, str) else ""


class ConsolePages(AccessPages):
    """Base of the console's route groups."""

    def _staff(self, request) -> tuple[dict | None, Response | None]:
        identity = session_identity(self, session.session_id(request))
        if identity is None:
            return None, redirect(f"/signin?lang={language(request)}", 303)
        if identity["kind"] != "staff" or identity["role"] not in STAFF_ROLES:
            return None, redirect(HOME.get(identity["kind"], "/signin"), 303)
        return identity, None

    def _console(self, request, template: str, me: dict, status: int = 200, **context):
        """A console page: its words, who is signed in, the CSRF token of its forms."""
        lang = language(request)

        def options(table, only=None) -> list[tuple[str, str]]:
            """(code, name) of a vocabulary, for a select or checkboxes."""
            return [(k, taxonomy.name(table, k, lang)) for k in (only or table)]

        return self._access_page(
            request, template, status, lang=lang, c=CONSOLE[lang], me=me, options=options,
            **context,
        )  # fmt: skip

    def _not_allowed(self, request, me: dict, why: str) -> Response:
        """A 403 page saying why, inside the console."""
        return self._console(request, "console/refused.html", me, 403, why=why)

    def _back(self, request, path: str, **args) -> Response:
        """303 back to a console page, in the page's language, with a note to show."""
        return redirect(f"{path}?{urlencode({'lang': language(request), **args})}", 303)


class ConsoleRoutes(ConsolePages):
    @route("GET", "/console", answer="text/html", query=("lang",))
    @console_page()
    def console_home(self, request, me):
        """Where a coordinator starts: the console's parts, with what waits in each;
        without a session: /signin."""
        waiting = {
            "review": self._how_many("registry", "list_organisations", {"status": "pending"}),
            "outbox": self._how_many("notify", "list_notifications", {"status": "failed"}),
            "unmatched": self._how_many("pledges", "list_needs", {"status": "unmatched"}),
        }
        return self._console(request, "console/home.html", me, waiting=waiting)

    def _how_many(self, service: str, method: str, filters: dict) -> str | None:
        """How many a list holds, "100+" past a page; None for none, or when its service
        is silent (the home page opens all the same)."""
        try:
            page = self._rpc(service, method, filters, 100, None, timeout=3)
        except TiltsError:
            return None
        if not page["items"]:
            return None
        return f"{len(page['items'])}{'+' if page['next'] else ''}"

    @route("GET", "/console/account", answer="text/html", query=("lang",))
    @console_page()
    def console_account(self, request, me):
        """Who you are, your personal API tokens (make, revoke), sign out."""
        tokens = self._rpc("registry", "list_tokens", me["account"])["items"]
        return self._access_page(
            request,
            "console/account.html",
            c=CONSOLE[language(request)],
            area="console",
            me=me,
            tokens=tokens,
            longest=MAX_TOKEN_DAYS[me["role"]],
        )
