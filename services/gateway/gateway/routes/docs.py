"""The API's own description."""

from ..http import json_response, route
from .base import Routes


class DocsRoutes(Routes):
    @route("GET", "/openapi.json")
    def openapi(self, request):
        """The OpenAPI 3.1 description of every endpoint."""
        from ..openapi import document
        from ..service import GatewayService

        return json_response(document(GatewayService))
