"""The audit log: every change a person made, in every service, newest first."""

import re

from tilts_contracts.errors import TiltsError, Unavailable
from tilts_contracts.schemas import access as schemas

from .base import SERVICES, Routes
from .http import json_response
from .listing import Listing
from .routing import ADMIN, page_of, tagged
from .rpc import call_all

route = tagged("access")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# an entry's id sorts by time; the last one shown is the cursor of the next page
AUDIT = Listing(
    {"actor": None, "object_id": None, "since": ISO},
    re.compile(r"aud_[0-9a-f]{12,40}"),
    max_text={"actor": 200, "object_id": 100},
)


class AuditRoutes(Routes):
    @route("GET", "/api/audit", who=ADMIN, answer=page_of(schemas.AuditEntry), listing=AUDIT)
    def audit_log(self, request):
        """Who changed what and when (account ids, field names; never personal data),
        from every service, merged by time; filters actor, object_id, since."""
        filters, limit, cursor = AUDIT.read(request)
        return json_response(merged_log(self, filters, limit, cursor))


def merged_log(routes: Routes, filters: dict, limit: int, cursor: str | None) -> dict:
    """A page of every service's audit log, merged by time (the API's and the console's)."""
    args = (filters.get("actor"), filters.get("object_id"), filters.get("since"))
    calls = {s: (getattr(routes, s), "audit_log", *args, limit, cursor) for s in SERVICES}
    answers = call_all(calls, routes.config.timeout)
    items = []
    for service, answer in answers.items():
        if isinstance(answer, TiltsError):
            raise answer
        if isinstance(answer, Exception):  # the whole log, or none: a gap would mislead
            raise Unavailable(f"{service} did not give its audit log", {"service": service})
        items += [{**entry, "service": service} for entry in answer]
    items.sort(key=lambda e: e["id"], reverse=True)
    page = items[:limit]
    more = len(items) > limit
    return {"items": page, "next": page[-1]["id"] if more else None}
