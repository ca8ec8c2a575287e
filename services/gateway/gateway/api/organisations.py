"""The directory of organisations (registry)."""

from tilts_contracts.clock import new_id
from tilts_contracts.errors import Conflict, Forbidden, Invalid, TiltsError
from tilts_contracts.schemas import organisations as schemas
from tilts_contracts.schemas.common import id_shape

from ..formats import directory
from .base import Routes, checked_id, creation_id
from .http import (
    MAX_BODY,
    TooLarge,
    TooManyRequests,
    UnsupportedMedia,
    json_response,
    read_capped,
    read_json,
)
from .listing import Listing
from .ratelimit import Limit
from .routing import ADMIN_OR_OWN, ANYONE, STAFF, page_of, tagged

route = tagged("organisations")
QUESTIONNAIRE_LIMIT = Limit("20/hour", "questionnaire")
QUESTIONNAIRE_MAX_BODY = 64 * 1024
# one request's rows: answered well within the RPC timeout; `tilts import` sends parts
MAX_IMPORT_ROWS = 1000
# the same words whatever the directory holds: the public must not learn who is in it
RECEIVED = {
    "lv": "Paldies! Anketa saņemta. Turpmāko ziņu nosūtīsim pa e-pastu.",
    "en": "Thank you: your questionnaire was received. We will let you know by email.",
}
# `q` searches names and descriptions: free text, within reason
ORGANISATIONS = Listing({**schemas.FILTERS, "q": None}, id_shape("org"), max_text={"q": 200})


class TooManyRows(TiltsError):
    code = "too_large"
    status = 413


def _actor(who) -> str:
    """Who the audit trail names: the token's subject, or which organisation it was."""
    if who.role == "organisation" and who.sub == who.role:
        return f"organisation:{who.org}"
    return who.sub


def _told(who, conflict: Conflict) -> Conflict:
    """A duplicate as the caller may see it: staff learn which organisation holds the
    name or email (`existing_id`), anyone else only that it is taken."""
    if who.is_staff:
        return conflict
    details = {k: v for k, v in conflict.details.items() if k != "existing_id"}
    return Conflict(conflict.message, details)


def _admin_or_own(who, org_id: str) -> None:
    if who.role == "organisation" and who.org != org_id:
        raise Forbidden("only an admin or the organisation itself")


def _import_report(rows: list[dict], results) -> dict:
    """One report line per row of the file, and how many were created, duplicate, invalid."""
    report = []
    for number, row in enumerate(rows, start=1):
        if "_error" in row:
            line = {"result": "invalid", "errors": row["_error"]}
        else:
            line = next(results)
        # `line`: where the row starts in the file (the header is line 1), as an
        # editor or a spreadsheet numbers it; `row`: its place among the data rows
        named = {"name": row["name"]} if row.get("name") else {}
        report.append({**line, "row": number, "line": row["_line"], **named})
    summary = {
        k: sum(1 for r in report if r["result"] == k) for k in ("created", "duplicate", "invalid")
    }
    return {"summary": summary, "rows": report}


def _csv_rows(request) -> list[dict]:
    """The rows of a CSV body, or a 4xx when it is no CSV or too long for one request."""
    if request.mimetype != "text/csv":
        raise UnsupportedMedia("send the CSV with Content-Type: text/csv")
    try:
        text = read_capped(request, MAX_BODY).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid("the CSV is not UTF-8", {"_file": [str(exc)]}) from exc
    rows = directory.read_csv(text)
    if len(rows) > MAX_IMPORT_ROWS:
        raise TooManyRows(
            f"this file has {len(rows)} rows; one request takes at most {MAX_IMPORT_ROWS}. "
            "Use `tilts import FILE`, which sends a file of any size in parts, "
            "or split the file",
            {"_file": [f"{len(rows)} rows, at most {MAX_IMPORT_ROWS} a request"]},
        )
    return rows


def every(routes: Routes, service: str, method: str, filters: dict) -> list:
    """Every item of a listing, page after page (an export leaves nothing out)."""
    items, cursor = [], None
    while True:
        page = routes._rpc(service, method, filters, 500, cursor)
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items


def exported(routes: Routes, org_id: str) -> dict:
    """All data held about an organisation, from every service (the API's export and
    the organisation's own "download our data")."""
    held = routes._rpc("registry", "export_organisation", org_id)
    mine = {"organisation_id": org_id}
    held["offers"] = every(routes, "pledges", "list_offers", mine)
    held["matches"] = every(routes, "matching", "list_matches", mine)
    held["notifications"] = every(routes, "notify", "list_notifications", mine)
    held["notification_preferences"] = routes._rpc("notify", "get_preferences", org_id)
    return held


class OrganisationRoutes(Routes):
    @route(
        "POST",
        "/api/questionnaire",
        body=schemas.QuestionnaireIn,
        answer=schemas.QuestionnaireReceipt,
        status=202,
    )
    def questionnaire(self, request):
        """Public: an organisation describes itself and its offers; 202, pending review.

        The answer is the same whether or not the email or name is registered already,
        and names no id: the registered address is told by email instead."""
        if (request.content_length or 0) > QUESTIONNAIRE_MAX_BODY:
            raise TooLarge(QUESTIONNAIRE_MAX_BODY)
        # the peer address: X-Forwarded-For is not trusted (anyone can send it)
        if not QUESTIONNAIRE_LIMIT.allow(request.remote_addr or "?"):
            raise TooManyRequests("too many questionnaires from this address; try again later")
        read_capped(request, QUESTIONNAIRE_MAX_BODY)  # a chunked body has no length to check
        data = read_json(request)
        org_id = new_id("org")
        receipt = self._rpc("registry", "submit_questionnaire", data, org_id)
        return json_response({**receipt, "message": RECEIVED}, 202)

    @route("POST", "/api/organisations/import", who=STAFF, body="text/csv")
    def import_organisations(self, request):
        """A CSV of organisations; answers one report line per row."""
        rows = _csv_rows(request)
        readable = [directory.fields_of(r) for r in rows if "_error" not in r]
        sub = request.caller.sub
        results = iter(self._rpc("registry", "import_rows", readable, sub, timeout=120))
        return json_response(_import_report(rows, results))

    @route("GET", "/api/organisations/<org_id>/export", who=ADMIN_OR_OWN)
    def export_organisation(self, request, org_id):
        """Everything held about an organisation, for the organisation or an admin."""
        _admin_or_own(request.caller, org_id)
        return json_response(exported(self, checked_id(org_id)))

    @route("DELETE", "/api/organisations/<org_id>", who=ADMIN_OR_OWN, answer=schemas.Organisation)
    def erase_organisation(self, request, org_id):
        """Erase: personal and contact fields anonymised everywhere, history kept."""
        who = request.caller
        _admin_or_own(who, org_id)
        return json_response(
            self._rpc("registry", "erase_organisation", checked_id(org_id), _actor(who))
        )

    @route(
        "POST",
        "/api/organisations",
        who=STAFF,
        body=schemas.OrganisationIn,
        answer=schemas.Organisation,
        status=201,
    )
    def create_organisation(self, request):
        who = request.caller
        data = read_json(request)
        org_id = creation_id(request, "org", who)
        org = self._rpc("registry", "create_organisation", data, who.sub, org_id)
        return json_response(org, 201)

    @route(
        "GET",
        "/api/organisations",
        who=STAFF,
        answer=page_of(schemas.Organisation),
        listing=ORGANISATIONS,
    )
    def list_organisations(self, request):
        filters, limit, cursor = ORGANISATIONS.read(request)
        return json_response(self._rpc("registry", "list_organisations", filters, limit, cursor))

    # staff get the detail (held offers, history); an organisation the resource alone
    @route("GET", "/api/organisations/<org_id>", who=ANYONE, answer=schemas.OrganisationDetail)
    def get_organisation(self, request, org_id):
        """The organisation; staff also see the offers it sent with the questionnaire
        (held until verification) and its history, so they never verify blind."""
        who = request.caller.require_org_or_staff(org_id)
        method = "get_organisation_detail" if who.is_staff else "get_organisation"
        return json_response(self._rpc("registry", method, checked_id(org_id)))

    @route(
        "PATCH",
        "/api/organisations/<org_id>",
        who=ANYONE,
        body=schemas.OrganisationIn(partial=True),
        answer=schemas.Organisation,
    )
    def update_organisation(self, request, org_id):
        who = request.caller.require_org_or_staff(org_id)
        changes = read_json(request)
        # the organisation's own change of name, email or website waits for review
        review = not who.is_staff
        try:
            org = self._rpc(
                "registry", "update_organisation", checked_id(org_id), changes, _actor(who), review
            )
        except Conflict as exc:
            raise _told(who, exc) from None
        return json_response(org)

    @route("POST", "/api/organisations/<org_id>/verify", who=STAFF, answer=schemas.Organisation)
    def verify_organisation(self, request, org_id):
        sub = request.caller.sub
        return json_response(self._rpc("registry", "verify_organisation", checked_id(org_id), sub))

    @route(
        "POST",
        "/api/organisations/<org_id>/suspend",
        who=STAFF,
        body=schemas.SuspendIn,
        body_optional=True,
        answer=schemas.Organisation,
    )
    def suspend_organisation(self, request, org_id):
        sub = request.caller.sub
        body = read_json(request) if read_capped(request, MAX_BODY) else {}
        org = self._rpc("registry", "suspend_organisation", checked_id(org_id), sub, body)
        return json_response(org)

    @route(
        "POST",
        "/api/organisations/<org_id>/changes/reject",
        who=STAFF,
        body=schemas.RejectChangesIn,
        body_optional=True,
        answer=schemas.Organisation,
    )
    def reject_organisation_changes(self, request, org_id):
        """Refuse an organisation's own change of name, email or website held for
        review: it keeps its verified values and is emailed why; 409 if none is held."""
        sub = request.caller.sub
        body = read_json(request) if read_capped(request, MAX_BODY) else {}
        org = self._rpc("registry", "reject_organisation_changes", checked_id(org_id), sub, body)
        return json_response(org)
