"""The API's own description."""

from .base import Routes
from .http import json_response
from .openapi import document
from .routing import tagged

route = tagged("operations")


class DocsRoutes(Routes):
    @route("GET", "/openapi.json")
    def openapi(self, request):
        """The OpenAPI 3.1 description of every endpoint."""
        # the running service's own class: every route group it serves, no import back
        return json_response(document(type(self)))
