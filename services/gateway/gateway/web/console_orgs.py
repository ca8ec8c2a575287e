"""The console's organisations: registrations waiting for review (Verify / Suspend),
any organisation by status or name, and an organisation's page (its details, offers
held until verification, offers, requests and history)."""

from tilts_contracts import lifecycles
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.schemas import organisations as schemas
from tilts_contracts.schemas.common import id_shape

from ..api.base import checked_id
from ..api.listing import checked_filters
from .console import ConsolePages, console_page, route, say
from .console_fields import field_errors
from .console_words import CONSOLE
from .pages import language

PAGE = 20
ACTIONS = {"verify": "verify_organisation", "suspend": "suspend_organisation"}
DONE = {"verify": "verified_ok", "suspend": "suspended_ok"}
CURSOR = id_shape("org")


class ConsoleOrganisationRoutes(ConsolePages):
    @route("GET", "/console/organisations", answer="text/html", page_errors=(400, 503),
           query=("lang", "status", "domain", "q", "cursor", "note", "org"))  # fmt: skip
    @console_page()
    def console_organisations(self, request, me):
        """Registrations waiting for review (status pending, the default), or any status."""
        lang, args = language(request), request.args
        filters = {k: args[k][:40] for k in schemas.FILTERS if args.get(k)}
        if "status" not in args:
            filters["status"] = "pending"
        if args.get("q"):
            filters["q"] = args["q"][:100]
        cursor = args.get("cursor") or None
        try:
            checked_filters(filters, schemas.FILTERS)
            if cursor and not CURSOR.fullmatch(cursor):
                raise Invalid("cursor", {"cursor": ["not one this list gave out"]})
        except Invalid as exc:
            named = ("status", "domain", "region", "pending_changes", "q")
            errors = field_errors(exc.details, lang, named)
            return self._orgs_page(request, me, filters, {"items": [], "next": None}, 400, errors)
        page = self._rpc("registry", "list_organisations", filters, PAGE, cursor)
        return self._orgs_page(request, me, filters, page)

    def _orgs_page(self, request, me, filters, page, status=200, errors=None):
        words = CONSOLE[language(request)]
        note, named = request.args.get("note", ""), request.args.get("org", "")
        name = state = ""
        if note and CURSOR.fullmatch(named):  # whom a Verify or Suspend just changed
            org = self._rpc("registry", "get_organisation", named)
            name, state = org["name"], words["statuses"].get(org["status"], "")
        return self._console(
            request, "console/organisations.html", me, status,
            filters=filters, page=page, errors=errors or {}, cursor=request.args.get("cursor"),
            status_options=[(s, words["statuses"][s]) for s in lifecycles.ORGANISATION_STATUSES],
            note=say(words, note, name=name, status=state),
        )  # fmt: skip

    @route("GET", "/console/organisations/<org_id>", answer="text/html", query=("lang", "note"),
           page_errors=(404, 503))  # fmt: skip
    @console_page()
    def console_organisation(self, request, me, org_id):
        """An organisation: details, held and active offers, its requests, its history."""
        return self._console_org_page(request, me, org_id)

    def _console_org_page(self, request, me, org_id, status=200, typed=None, errors=None):
        org = self._rpc("registry", "get_organisation_detail", checked_id(org_id, "organisation"))
        mine = {"organisation_id": org["id"]}
        offers = self._rpc("pledges", "list_offers", mine, 100, None)["items"]
        matches = self._rpc("matching", "list_matches", mine, 100, None)["items"]
        words = CONSOLE[language(request)]
        state = words["statuses"].get(org["status"], "")
        note = say(words, request.args.get("note", ""), name=org["name"], status=state)
        return self._console(
            request, "console/organisation.html", me, status,
            org=org, offers=offers, matches=matches, note=note,
            typed=typed or {}, errors=errors or {},
        )  # fmt: skip

    @route("POST", "/console/organisations/<org_id>/changes/reject", body="form",
           answer="text/html", page_errors=(400, 403, 404, 503))  # fmt: skip
    @console_page(form=True)
    def console_reject_changes(self, request, me, org_id):
        """Refuse a verified organisation's held change of name, email or website, saying
        why (emailed to it); it keeps its verified values."""
        org_id = checked_id(org_id, "organisation")
        reason = {"reason": request.form.get("reason", "")}
        try:
            self._rpc("registry", "reject_organisation_changes", org_id, me["account"], reason)
        except Invalid as exc:  # too long, or a person's data: said beside the field
            errors = field_errors(exc.details, language(request), ("reason",))
            return self._console_org_page(request, me, org_id, 400, request.form, errors)
        except Conflict:  # nothing held (decided already, or a second click)
            return self._back(request, f"/console/organisations/{org_id}", note="no_changes_held")
        return self._back(request, f"/console/organisations/{org_id}", note="changes_rejected_ok")

    @route("POST", "/console/organisations/<org_id>/verify", body="form", answer="text/html",
           page_errors=(403, 404, 503))  # fmt: skip
    @console_page(form=True)
    def console_verify(self, request, me, org_id):
        """Verify a registration (the organisation is emailed); a second click says so."""
        return self._review(request, me, org_id, "verify")

    @route("POST", "/console/organisations/<org_id>/suspend", body="form", answer="text/html",
           page_errors=(403, 404, 503))  # fmt: skip
    @console_page(form=True)
    def console_suspend(self, request, me, org_id):
        """Suspend an organisation; a second click says it is suspended already."""
        return self._review(request, me, org_id, "suspend")

    def _review(self, request, me, org_id: str, action: str):
        org_id = checked_id(org_id, "organisation")
        args = (me["account"], {}) if action == "suspend" else (me["account"],)
        try:
            self._rpc("registry", ACTIONS[action], org_id, *args)
            note = DONE[action]
        except Conflict:  # verified or suspended already: the note says it is
            note = "state_conflict"
        if request.form.get("back", "") == "list":
            return self._back(request, "/console/organisations", note=note, org=org_id)
        return self._back(request, f"/console/organisations/{org_id}", note=note)
