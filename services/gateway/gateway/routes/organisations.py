"""The directory of organisations (registry)."""

from werkzeug.exceptions import RequestEntityTooLarge

from tilts_contracts.clock import new_id
from tilts_contracts.errors import Forbidden, Invalid

from .. import directory
from ..http import TooManyRequests, UnsupportedMedia, json_response, read_json, route
from ..ratelimit import Limit
from .base import Routes, checked_id, creation_id, list_args

QUESTIONNAIRE_LIMIT = Limit("20/hour", "questionnaire")
QUESTIONNAIRE_MAX_BODY = 64 * 1024


class OrganisationRoutes(Routes):
    @route("POST", "/api/questionnaire")
    def questionnaire(self, request):
        """Public: an organisation describes itself and its offers; 202, pending review."""
        if (request.content_length or 0) > QUESTIONNAIRE_MAX_BODY:
            raise RequestEntityTooLarge()
        # the peer address: X-Forwarded-For is not trusted (anyone can send it)
        if not QUESTIONNAIRE_LIMIT.allow(request.remote_addr or "?"):
            raise TooManyRequests("too many questionnaires from this address; try again later")
        data = read_json(request)
        org_id = new_id("org")
        submitted = self._rpc("registry", "submit_questionnaire", data, org_id)
        return json_response(submitted, 202)

    @route("POST", "/api/organisations/import")
    def import_organisations(self, request):
        """A CSV of organisations; answers one report line per row."""
        who = self._caller(request, "admin", "coordinator")
        if request.mimetype != "text/csv":
            raise UnsupportedMedia("send the CSV with Content-Type: text/csv")
        try:
            text = request.get_data().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid("the CSV is not UTF-8", {"_file": [str(exc)]}) from exc
        rows = directory.read_csv(text)
        readable = [r for r in rows if "_error" not in r]
        results = iter(self._rpc("registry", "import_rows", readable, who.sub, timeout=120))
        report = []
        for number, row in enumerate(rows, start=1):
            line = (
                next(results)
                if "_error" not in row
                else {"result": "invalid", "errors": row["_error"]}
            )
            report.append({**line, "row": number})
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
        held["offers"] = self._rpc(
            "pledges", "list_offers", {"organisation_id": org_id}, 500, None
        )["items"]
        held["matches"] = self._rpc(
            "matching", "list_matches", {"organisation_id": org_id}, 500, None
        )["items"]
        held["notification_preferences"] = self._rpc("notify", "get_preferences", org_id)
        return json_response(held)

    @route("DELETE", "/api/organisations/<org_id>")
    def erase_organisation(self, request, org_id):
        """Erase: personal and contact fields anonymised everywhere, history kept."""
        who = self._caller(request)
        if not (who.role == "admin" or (who.role == "organisation" and who.org == org_id)):
            raise Forbidden("only an admin or the organisation itself")
        return json_response(
            self._rpc("registry", "erase_organisation", checked_id(org_id), who.sub)
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
        filters, limit, cursor = list_args(request, ("domain", "region", "status", "q"))
        return json_response(self._rpc("registry", "list_organisations", filters, limit, cursor))

    @route("GET", "/api/organisations/<org_id>")
    def get_organisation(self, request, org_id):
        self._caller(request).require_org_or_staff(org_id)
        return json_response(self._rpc("registry", "get_organisation", checked_id(org_id)))

    @route("PATCH", "/api/organisations/<org_id>")
    def update_organisation(self, request, org_id):
        who = self._caller(request).require_org_or_staff(org_id)
        changes = read_json(request)
        org = self._rpc("registry", "update_organisation", checked_id(org_id), changes, who.sub)
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
        reason = read_json(request).get("reason", "") if request.get_data() else ""
        org = self._rpc(
            "registry", "suspend_organisation", checked_id(org_id), who.sub, str(reason)
        )
        return json_response(org)
