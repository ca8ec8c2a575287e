"""The console's needs: post one (the privacy guard's answer beside its field, nothing
typed lost), list and filter them page by page, a need's proposals with the reasons in
words, and cancel (asked to confirm; a second click changes nothing)."""

import hashlib
import re
import secrets

from tilts_contracts import lifecycles, taxonomy
from tilts_contracts.clock import new_id
from tilts_contracts.errors import Conflict, Forbidden, Invalid, NotFound
from tilts_contracts.schemas import needs as schemas

from ..api.base import checked_id
from ..api.listing import checked_filters
from ..api.needs import NEEDS
from .console import ConsolePages, console_page, route, say, within
from .console_fields import field_errors
from .console_reasons import reasons
from .console_words import CONSOLE
from .pages import language

PAGE = 20  # needs a page
MOST_MATCHES = 30  # proposals a need's page explains
FORM_FIELDS = (
    "title", "domain", "region", "languages", "quantity", "urgency", "needed_by",
    "description", "case_ref",
)  # fmt: skip
FORM_ID = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
CODES = re.compile(r"[\s,;]+")


def need_body(form) -> dict:
    """The API's need from the form as typed; the schema says what is wrong with it."""
    body = {k: form.get(k, "").strip() for k in ("domain", "title", "region", "urgency")}
    body.update(description=form.get("description", ""), case_ref=form.get("case_ref", ""))
    quantity = form.get("quantity", "").strip()
    body["quantity"] = int(quantity) if quantity.isdigit() and len(quantity) < 9 else quantity
    body["needed_by"] = form.get("needed_by", "").strip() or None
    typed = [*form.getlist("languages"), *CODES.split(form.get("languages_other", ""))]
    body["languages"] = list(dict.fromkeys(c.strip().lower() for c in typed if c.strip()))
    return body


def need_id_of(me: dict, form) -> str:
    """The id a form's post gets: the same for a second click on the same form, so it
    posts one need, not two."""
    form_id = form.get("form_id", "")
    if not FORM_ID.fullmatch(form_id):
        return new_id("need")
    digest = hashlib.sha256(f"{me['account']}:console:{form_id}".encode()).hexdigest()
    return f"need_{digest[:24]}"


def groups_of(me: dict, lang: str) -> str:
    return ", ".join(taxonomy.name(taxonomy.DOMAINS, d, lang) for d in me.get("domains") or [])


def may_change(me: dict, need: dict) -> bool:
    groups = within(me)
    return groups is None or need["domain"] in groups


class ConsoleNeedRoutes(ConsolePages):
    def _post_form(self, request, me, status=200, typed=None, errors=None, editing=None):
        """The need's form: empty or as typed to post one, or `editing` a need."""
        groups = within(me)
        domains = [d for d in taxonomy.DOMAINS if groups is None or d in groups]
        typed = typed if typed is not None else {"form_id": secrets.token_urlsafe(18)}
        return self._console(
            request, "console/need_new.html", me, status,
            domains=domains, typed=typed, errors=errors or {}, editing=editing,
        )  # fmt: skip

    # `region` is read but not declared: OpenAPI's shared QUERY describes it as the public
    # pages' enum, and the console answers a visitor without a session 303 whatever it says
    @route("GET", "/console/needs/new", answer="text/html", query=("lang", "domain"),
           page_errors=(403,))  # fmt: skip
    @console_page()
    def console_need_form(self, request, me):
        """The form to post a need; a lead asking for another group's: a 403 page."""
        asked, lang = request.args.get("domain", ""), language(request)
        if asked and not may_change(me, {"domain": asked}):
            words = CONSOLE[lang]
            name = taxonomy.name(taxonomy.DOMAINS, asked[:40], lang)
            why = words["not_yours_page"].format(domain=name, groups=groups_of(me, lang))
            return self._not_allowed(request, me, why)
        typed = {"form_id": secrets.token_urlsafe(18), **request.args.to_dict()}
        return self._post_form(request, me, typed=typed)

    @route("POST", "/console/needs", body="form", answer="text/html",
           page_errors=(400, 403, 503))  # fmt: skip
    @console_page(form=True)
    def console_post_need(self, request, me):
        """Post a need; a refusal comes back beside its field, with what was typed."""
        lang, form = language(request), request.form
        try:
            need = self._rpc(
                "pledges", "post_need", need_body(form), need_id_of(me, form),
                me["email"], me["account"], within(me),
            )  # fmt: skip
        except Invalid as exc:
            errors = field_errors(exc.details, lang, FORM_FIELDS)
            return self._post_form(request, me, 400, typed=form, errors=errors)
        except Forbidden:
            errors = {"domain": [CONSOLE[lang]["not_yours"].format(groups=groups_of(me, lang))]}
            return self._post_form(request, me, 403, typed=form, errors=errors)
        return self._back(request, f"/console/needs/{need['id']}", note="posted_ok")

    @route("GET", "/console/needs", answer="text/html", page_errors=(400,),
           query=("lang", "status", "domain", "urgency", "cursor"))  # fmt: skip
    @console_page()
    def console_needs(self, request, me):
        """Needs, filtered, a page at a time (the API's cursor)."""
        lang, args = language(request), request.args
        filters = {k: args[k][:40] for k in schemas.FILTERS if args.get(k)}
        cursor = args.get("cursor") or None
        try:
            checked_filters(filters, schemas.FILTERS)
            if cursor and not NEEDS.cursor.fullmatch(cursor):
                raise Invalid("cursor", {"cursor": ["not one this list gave out"]})
        except Invalid as exc:
            errors = field_errors(exc.details, lang, tuple(schemas.FILTERS))
            page = {"items": [], "next": None}
            return self._needs_page(request, me, filters, page, 400, errors)
        page = self._rpc("pledges", "list_needs", filters, PAGE, cursor)
        return self._needs_page(request, me, filters, page)

    def _needs_page(self, request, me, filters, page, status=200, errors=None):
        words = CONSOLE[language(request)]
        return self._console(
            request, "console/needs.html", me, status,
            filters=filters, page=page, errors=errors or {}, cursor=request.args.get("cursor"),
            status_options=[(s, words["statuses"][s]) for s in lifecycles.NEED_STATUSES],
        )  # fmt: skip

    @route("GET", "/console/needs/<need_id>", answer="text/html", query=("lang", "note"),
           page_errors=(404, 503))  # fmt: skip
    @console_page()
    def console_need(self, request, me, need_id):
        """A need with its proposals, each with why it was made, in words."""
        need = self._rpc("pledges", "get_need", checked_id(need_id, "need"))
        return self._need_page(request, me, need)

    def _match_details(self, match: dict) -> dict:
        """The match as matching made it (with its need and offer), or as pledges knows
        it when matching no longer holds it: then no reasons, the rest still shown."""
        try:
            return self._rpc("matching", "match_details", match["id"])
        except NotFound:
            return match

    def _need_page(self, request, me, need, status=200, note=None):
        lang = language(request)
        shown = need.get("matches", [])[-MOST_MATCHES:]
        details = [self._match_details(m) for m in shown]
        orgs = sorted({m["organisation_id"] for m in details})
        records = self._rpc("matching", "answer_records", orgs) if orgs else {}
        explained = [
            (m, reasons(m, records.get(m["organisation_id"]), lang) if m.get("need") else [])
            for m in details
        ]
        note = note or say(CONSOLE[lang], request.args.get("note", ""))
        return self._console(
            request, "console/need.html", me, status,
            need=need, matches=explained, may_change=may_change(me, need), note=note,
            closed=need["status"] in lifecycles.CLOSED_NEED,
        )  # fmt: skip

    @route("GET", "/console/needs/<need_id>/cancel", answer="text/html", query=("lang",),
           page_errors=(403, 404, 503))  # fmt: skip
    @console_page()
    def console_cancel_form(self, request, me, need_id):
        """Asks before cancelling; changes nothing."""
        need = self._rpc("pledges", "get_need", checked_id(need_id, "need"))
        return self._console(request, "console/need_cancel.html", me, need=need)

    @route("POST", "/console/needs/<need_id>/cancel", body="form", answer="text/html",
           page_errors=(403, 404, 503))  # fmt: skip
    @console_page(form=True)
    def console_cancel_need(self, request, me, need_id):
        """Cancel; a need cancelled already (a second click) is shown as it is."""
        lang = language(request)
        need_id = checked_id(need_id, "need")
        try:
            self._rpc("pledges", "cancel_need", need_id, me["account"], within(me))
        except Forbidden:
            need = self._rpc("pledges", "get_need", need_id)
            name = taxonomy.name(taxonomy.DOMAINS, need["domain"], lang)
            why = CONSOLE[lang]["not_yours_page"].format(domain=name, groups=groups_of(me, lang))
            return self._not_allowed(request, me, why)
        except Conflict:
            need = self._rpc("pledges", "get_need", need_id)
            status = CONSOLE[lang]["statuses"].get(need["status"], need["status"])
            return self._need_page(
                request, me, need, note=CONSOLE[lang]["already_closed"].format(status=status)
            )
        return self._back(request, f"/console/needs/{need_id}", note="cancelled")
