"""The page behind the link in a match email."""

from .. import pages
from ..http import route
from .base import Routes


class RespondRoutes(Routes):
    @route("GET", "/respond/<token>")
    def respond_page(self, request, token):
        """Shows the request and the buttons; changes nothing (mail scanners open links)."""
        return pages.respond(self, request, token, act=False)

    @route("POST", "/respond/<token>")
    def respond_action(self, request, token):
        return pages.respond(self, request, token, act=True)
