"""Whether every backend answers."""

from ..http import json_response, route
from .base import SERVICES, Routes


class HealthRoutes(Routes):
    @route("GET", "/health")
    def health(self, request):
        services = {}
        for name in SERVICES:
            try:
                self._rpc(name, "health", timeout=min(3.0, self.config.timeout))
                services[name] = "ok"
            except Exception:
                services[name] = "down"
        ok = all(v == "ok" for v in services.values())
        return json_response(
            {"status": "ok" if ok else "degraded", "services": services}, 200 if ok else 503
        )
