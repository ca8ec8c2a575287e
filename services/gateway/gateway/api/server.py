"""The nameko HTTP entrypoint and its WSGI app: every failure in the API's error shape,
CORS for listed origins, the edge's protections (edge.py) on every request, and an
access log that keeps emailed link tokens out."""

import logging
import re
import time

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request, Response

from tilts_contracts import settings
from tilts_contracts.errors import TiltsError

from . import edge
from .http import MAX_BODY, response_for

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"


class JsonErrorsApp:
    """Routes that do not exist, or the wrong method, answer in the same JSON shape;
    origins listed in CORS_ORIGINS (none by default) may call from a browser."""

    def __init__(self, server):
        self.server = server
        self.url_map = server.make_url_map()
        config = server.container.config
        origins = settings.get(config, "CORS_ORIGINS")
        self.origins = {o.strip().rstrip("/") for o in origins.split(",") if o.strip()}
        self.metrics_token = edge.usable_token(settings.get(config, "METRICS_TOKEN"))
        self.body_seconds = settings.number(config, "BODY_TIMEOUT")

    def __call__(self, environ, start_response):
        began = time.perf_counter()
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # eventlet de-chunks the body and ends it: werkzeug may read it (read_capped
            # reads one byte past the cap) instead of taking it for an empty one
            environ["wsgi.input_terminated"] = True
        request = Request(environ, shallow=True)
        request.max_content_length = MAX_BODY
        origin = request.headers.get("Origin", "").rstrip("/")
        allowed = origin in self.origins or ("*" in self.origins and origin)
        route, rv = self.answer(request, environ, allowed)
        if allowed:
            rv.headers["Access-Control-Allow-Origin"] = origin
            rv.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            rv.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        if self.origins:  # a cache must not hand one origin's answer to another
            rv.vary.add("Origin")
        return edge.finish(rv, request, route, began)(environ, start_response)

    def answer(self, request, environ, allowed) -> tuple[str, Response]:
        """The route's template (what metrics count it under) and the answer. The probe
        and refusals are answered here; only a route's own work takes a worker."""
        if request.path == edge.LIVE and request.method in ("GET", "HEAD"):
            return edge.LIVE, edge.live()
        if allowed and request.method == "OPTIONS":
            return "preflight", Response(status=204)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            rule, values = adapter.match(return_rule=True)
        except HTTPException as exc:
            return "unmatched", response_for(exc)
        refused = rule.rule == "/metrics" and edge.metrics_refusal(request, self.metrics_token)
        refused = refused or edge.read_body(request, environ, self.body_seconds)
        if refused:
            return rule.rule, refused
        request.path_values = values
        return rule.rule, rule.endpoint.handle_request(request)


class HideLinkTokens(logging.Filter):
    """A response or digest-off link acts for an organisation until it expires: the
    access log keeps the path, not the token, so reading logs grants no answers."""

    LINK = re.compile(r"(/respond/|/notifications/digest-off/|/signin/)[^\s?\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/respond/" in message or "/digest-off/" in message or "/signin/" in message:
            record.msg, record.args = self.LINK.sub(r"\1…", message), ()
        return True


class TiltsWebServer(WebServer):
    def setup(self):
        super().setup()
        access_log = logging.getLogger("nameko.web.server")
        if not any(isinstance(f, HideLinkTokens) for f in access_log.filters):
            access_log.addFilter(HideLinkTokens())

    def get_wsgi_app(self):
        """The app, behind werkzeug's ProxyFix when TRUSTED_PROXIES names how many
        proxies' X-Forwarded-For to believe (none by default: the peer is the client)."""
        app = JsonErrorsApp(self)
        hops = settings.number(self.container.config, "TRUSTED_PROXIES")
        return ProxyFix(app, x_for=hops, x_proto=hops) if hops > 0 else app

    def get_wsgi_server(self, sock, wsgi_app, protocol=edge.Protocol, debug=False):
        """eventlet's server with a socket timeout: a client that stops sending holds its
        connection SOCKET_SECONDS at most (never a worker: edge.read_body)."""
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        server.socket_timeout = edge.SOCKET_SECONDS
        return server


class HttpEntrypoint(HttpRequestHandler):
    """nameko's @http, answering every failure in the API's error shape."""

    server = TiltsWebServer()

    def __init__(self, method, url, **kwargs):
        # a 4xx is an answer, not a failure: log it as expected
        kwargs.setdefault("expected_exceptions", (TiltsError, HTTPException))
        super().__init__(method, url, **kwargs)

    def response_from_exception(self, exc):
        return response_for(exc)
