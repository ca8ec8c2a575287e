"""Switching the daily digest off, from the link in it."""

from tilts_contracts.errors import TiltsError
from tilts_contracts.tokens import LinkExpired, LinkInvalid, read_unsubscribe_link

from ..api.routing import tagged
from .pages import PageRoutes, language, page, trouble
from .words import DIGEST_OFF

route = tagged("pages")


class DigestRoutes(PageRoutes):
    @route(
        "GET,POST",
        "/notifications/digest-off/<token>",
        answer="text/html",
        query=("lang",),
        page_errors=(404, 503),
    )
    def digest_off(self, request, token):
        """The digest's List-Unsubscribe link: GET asks, POST (or one-click) switches.
        The link names an organisation, or a coordinator's gap-alert subscription."""
        lang = language(request)
        words = DIGEST_OFF[lang]
        try:
            holder_id = read_unsubscribe_link(self.config.link_keys, token)
        except (LinkExpired, LinkInvalid):
            return page(self, "respond_done.html", 404, lang=lang, message=words["bad"])
        if request.method == "POST":
            try:
                self._rpc("notify", "digest_off", holder_id)
            except TiltsError as exc:
                return trouble(self, request, exc, lang, link=True)
            return page(self, "respond_done.html", lang=lang, message=words["done"])
        return page(self, "confirm.html", lang=lang, message=words["ask"], button=words["button"])
