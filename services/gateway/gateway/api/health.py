"""Whether the gateway serves, and whether every backend answers."""

from .base import SERVICES, Routes
from .http import json_response
from .routing import tagged
from .rpc import call_all

route = tagged("operations")

HEALTH_SECONDS = 3.0  # all services are asked at once: the answer never takes longer


class HealthRoutes(Routes):
    @route("GET", "/health")
    def health(self, request):
        """Every backend's health RPC, asked at once: 503 naming those that do not answer."""
        timeout = min(HEALTH_SECONDS, self.config.timeout)
        answers = call_all({name: (getattr(self, name), "health") for name in SERVICES}, timeout)
        services = {
            name: "ok"
            if isinstance(answers[name], dict) and answers[name].get("status") == "ok"
            else "down"
            for name in SERVICES
        }
        ok = all(v == "ok" for v in services.values())
        return json_response(
            {"status": "ok" if ok else "degraded", "services": services}, 200 if ok else 503
        )

    @route("GET", "/health/live")
    def health_live(self, request):
        """This gateway process serves HTTP: the probe for its container, asking no backend,
        so one service down never takes the site (wall, links, the rest of the API) offline.
        The edge answers it before any worker is taken (edge.live); this route describes
        it in the OpenAPI document, and answers the same if ever reached."""
        return json_response({"status": "ok"})
