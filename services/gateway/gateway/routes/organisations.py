"""The directory of organisations (registry)."""

from tilts_contracts import taxonomy
from tilts_contracts.clock import new_id
from tilts_contracts.errors import Forbidden, Invalid, TiltsError

from .. import directory
from ..http import (
    MAX_BODY,
    TooLarge,
    TooManyRequests,
    UnsupportedMedia,
    json_response,
    read_capped,
    read_json,
    route,
)
from ..ratelimit import Limit
from .base import Routes, checked_filters, checked_id, creation_id, id_cursor, list_args

QUESTIONNAIRE_LIMIT = Limit("20/hour", "questionnaire")
QUESTIONNAIRE_MAX_BODY = 64 * 1024
# one request's rows: answered well within the RPC timeout; `tilts import` sends parts
MAX_IMPORT_ROWS = 1000
# the same words whatever the directory holds: the public must not learn who is in it
RECEIVED = {
    "lv": "Paldies! Anketa saņemta. Turpmāko ziņu nosūtīsim pa e-pastu.",
    "en": "Thank you: your questionnaire was received. We will let you know by email.",
}
ORG_STATUSES = ("pending", "verified", "suspended")
FILTERS = {"domain": taxonomy.DOMAINS, "region": taxonomy.OFFER_REGIONS, "status": ORG_STATUSES}
CURSOR = id_cursor("org")


class TooManyRows(TiltsError):
    code = "too_large"
    status = 413


def _actor(who) -> str:
    """Who the audit trail names: the token's subject, or which organisation it was."""
    if who.role == "organisation" and who.sub == who.role:
        return f"organisation:{who.org}"
    return who.sub


def _check_filters(filters: dict) -> dict:
    """Unknown filter values, or a search too long, are a 400 naming the filter."""
    if len(filters.get("q", "")) > 200:
        raise Invalid("invalid filters: q", {"q": ["at most 200 characters"]})
    return checked_filters(filters, FILTERS)


class OrganisationRoutes(Routes):
    @route("POST", "/api/questionnaire")
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

    @route("POST", "/api/organisations/import")
    def import_organisations(self, request):
        """A CSV of organisations; answers one report line per row."""
        who = self._caller(request, "admin", "coordinator")
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
        readable = [directory.fields_of(r) for r in rows if "_error" not in r]
        results = iter(self._rpc("registry", "import_rows", readable, who.sub, timeout=120))
        report = []
        for number, row in enumerate(rows, start=1):
            line = (
                next(results)
                if "_error" not in row
                else {"result": "invalid", "errors": row["_error"]}
            )
            # `line`: where the row starts in the file (the header is line 1), as an
            # editor or a spreadsheet numbers it; `row`: its place among the data rows
            named = {"name": row["name"]} if row.get("name") else {}
            report.append({**line, "row": number, "line": row["_line"], **named})
        summary = {
            k: sum(1 for r in report if r["result"] == k)
            for k in ("created", "duplicate", "invalid")
        }
        return json_response({"summary": summary, "rows": report})

    @route("GET", "/api/organisations/<org_id>/export")
    def export_organisation(self, request, org_id):
        """Everything held about an organisation, for the organisation or an admin."""
        who = self._caller(request)
        if not (who.role == "admin" or (who.role == "organisation" and who.org == org_id)):
            raise Forbidden("only an admin or the organisation itself")
        held = self._rpc("registry", "export_organisation", checked_id(org_id))
        mine = {"organisation_id": org_id}
        held["offers"] = self._every("pledges", "list_offers", mine)
        held["matches"] = self._every("matching", "list_matches", mine)
        held["notifications"] = self._every("notify", "list_notifications", mine)
        held["notification_preferences"] = self._rpc("notify", "get_preferences", org_id)
        return json_response(held)

    def _every(self, service: str, method: str, filters: dict) -> list:
        """Every item of a listing, page after page (an export leaves nothing out)."""
        items, cursor = [], None
        while True:
            page = self._rpc(service, method, filters, 500, cursor)
            items += page["items"]
            cursor = page["next"]
            if not cursor:
                return items

    @route("DELETE", "/api/organisations/<org_id>")
    def erase_organisation(self, request, org_id):
        """Erase: personal and contact fields anonymised everywhere, history kept."""
        who = self._caller(request)
        if not (who.role == "admin" or (who.role == "organisation" and who.org == org_id)):
            raise Forbidden("only an admin or the organisation itself")
        return json_response(
            self._rpc("registry", "erase_organisation", checked_id(org_id), _actor(who))
        )

    @route("POST", "/api/organisations")
    def create_organisation(self, request):
        who = self._caller(request, "admin", "coordinator")
        data = read_json(request)
        org_id = creation_id(request, "org", who)
        org = self._rpc("registry", "create_organisation", data, who.sub, org_id)
        return json_response(org, 201)

    @route("GET", "/api/organisations")
    def list_organisations(self, request):
        self._caller(request, "admin", "coordinator")
        filters, limit, cursor = list_args(request, ("domain", "region", "status", "q"), CURSOR)
        _check_filters(filters)
        return json_response(self._rpc("registry", "list_organisations", filters, limit, cursor))

    @route("GET", "/api/organisations/<org_id>")
    def get_organisation(self, request, org_id):
        """The organisation; staff also see the offers it sent with the questionnaire
        (held until verification) and its history, so they never verify blind."""
        who = self._caller(request).require_org_or_staff(org_id)
        method = "get_organisation_detail" if who.is_staff else "get_organisation"
        return json_response(self._rpc("registry", method, checked_id(org_id)))

    @route("PATCH", "/api/organisations/<org_id>")
    def update_organisation(self, request, org_id):
        who = self._caller(request).require_org_or_staff(org_id)
        changes = read_json(request)
        org = self._rpc("registry", "update_organisation", checked_id(org_id), changes, _actor(who))
        return json_response(org)

    @route("POST", "/api/organisations/<org_id>/verify")
    def verify_organisation(self, request, org_id):
        who = self._caller(request, "admin", "coordinator")
        return json_response(
            self._rpc("registry", "verify_organisation", checked_id(org_id), who.sub)
        )

    @route("POST", "/api/organisations/<org_id>/suspend")
    def suspend_organisation(self, request, org_id):
        who = self._caller(request, "admin", "coordinator")
        body = read_json(request) if read_capped(request, MAX_BODY) else {}
        org = self._rpc("registry", "suspend_organisation", checked_id(org_id), who.sub, body)
        return json_response(org)
