"""The directory of organisations (registry)."""

from ..http import json_response, read_json, route
from .base import Routes, checked_id, creation_id, list_args


class OrganisationRoutes(Routes):
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
