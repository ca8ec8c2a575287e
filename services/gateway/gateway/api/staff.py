"""Staff accounts: admins and coordinators (optionally scoped to working groups).

Only an admin, or the server's operator (a token made with AUTH_SECRET, which is how
the first admin is made), adds or removes staff."""

import re

from werkzeug.wrappers import Response

from tilts_contracts.schemas import access as schemas
from tilts_contracts.schemas.common import load

from .base import Routes
from .http import json_response, read_json
from .listing import Listing, paged
from .routing import ADMIN, page_of, tagged

route = tagged("access")
STAFF = Listing({}, re.compile(r"stf_[0-9a-f]{12,40}"))


class StaffRoutes(Routes):
    @route("GET", "/api/staff", who=ADMIN, answer=page_of(schemas.Staff), listing=STAFF)
    def list_staff(self, request):
        """Current staff accounts, in the order they were added."""
        _, limit, cursor = STAFF.read(request)
        every = sorted(self._rpc("registry", "list_staff")["items"], key=lambda s: s["id"])
        return json_response(paged(every, limit, cursor))

    @route("POST", "/api/staff", who=ADMIN, body=schemas.StaffIn, answer=schemas.Staff, status=201)
    def add_staff(self, request):
        """Add a staff account (an address removed before gets its account back)."""
        data = load(schemas.StaffIn(), read_json(request))
        return json_response(self._rpc("registry", "add_staff", data, request.caller.sub), 201)

    @route("DELETE", "/api/staff/<email>", who=ADMIN, status=204)
    def remove_staff(self, request, email):
        """End a staff account: its sessions at once, its tokens within 60 s."""
        self._rpc("registry", "remove_staff", email[:254], request.caller.sub)
        return Response(status=204)
