"""What the gateway does at its edge, for every request, before a route or a worker is
involved: the probe answered at once, the body read within a deadline, /metrics kept
to the cluster network, security headers and request metrics on every answer.

A request body is read here, in the connection's own green thread, not in a worker:
a client that sends its body slowly holds none of the `max_workers`, and one that
dribbles it for longer than BODY_TIMEOUT seconds is answered 408 and hung up on.
"""

import hmac
import logging
import time

import eventlet
from nameko.web.server import HttpOnlyProtocol
from werkzeug.exceptions import RequestEntityTooLarge

from tilts_runtime import metrics

from .http import MAX_BODY, error_response, json_response, read_capped, response_for

log = logging.getLogger(__name__)
SOCKET_SECONDS = 20.0  # any one read from or write to a client's socket (BODY_TIMEOUT
# bounds a whole body)
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
LIVE = "/health/live"
# pages whose address carries an emailed token: never kept by a cache or a browser
TOKEN_PATHS = ("/respond/", "/signin/", "/notifications/digest-off/")

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # no inline script, no script from elsewhere
        "style-src 'self' 'unsafe-inline'",  # the pages' own style sheets and attributes
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # emailed links carry tokens: no page tells another site where it was
    "Referrer-Policy": "no-referrer",
}


class Protocol(HttpOnlyProtocol):
    """nameko's protocol, with a way for the app to end the connection after its answer
    (eventlet otherwise reads a body it did not want to the end, to keep the socket)."""

    def get_environ(self):
        environ = super().get_environ()
        environ["tilts.hang_up"] = self._hang_up
        return environ

    def _hang_up(self):
        self.close_connection = 1


def hang_up(environ) -> None:
    environ.get("tilts.hang_up", lambda: None)()


def has_body(request) -> bool:
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return chunked or bool(request.content_length)


def read_body(request, environ, seconds: float):
    """Read the body within `seconds`; an answer when that cannot be done, else None.

    A body declared larger than MAX_BODY is left unread for the route's 413."""
    if not has_body(request) or (request.content_length or 0) > MAX_BODY:
        return None
    request.shallow = False
    try:
        with eventlet.Timeout(seconds):
            read_capped(request, MAX_BODY)
    except RequestEntityTooLarge as exc:
        hang_up(environ)
        return response_for(exc)
    except (eventlet.Timeout, OSError):  # the deadline, or one read waiting SOCKET_SECONDS
        hang_up(environ)
        return error_response(
            408, "timeout", f"the request body did not arrive within {seconds:g} s"
        )
    return None


def metrics_refusal(request, token: str):
    """None when /metrics may be answered: the request came in no proxy's way (inside
    the cluster network), or it carries the METRICS_TOKEN bearer; else a 403."""
    through_proxy = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if not through_proxy:
        return None
    given = request.headers.get("Authorization", "").encode()
    if token and hmac.compare_digest(given, f"Bearer {token}".encode()):
        return None
    return error_response(
        403, "forbidden", "metrics are served inside the cluster network, or with METRICS_TOKEN"
    )


def usable_token(token: str) -> str:
    """METRICS_TOKEN, unless it is a placeholder or too short to keep anyone out."""
    if token and (len(token) < 16 or "change-me" in token.lower()):
        log.warning("METRICS_TOKEN is a placeholder or under 16 characters: ignored")
        return ""
    return token


def live():
    """This process serves HTTP: the container's probe, asking no backend and no worker."""
    return json_response({"status": "ok"})


def finish(response, request, route: str, began: float):
    """Security headers on the answer, and the request counted by route template."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith(TOKEN_PATHS):
        response.headers.setdefault("Cache-Control", "no-store")
    method = request.method if request.method in METHODS else "other"
    metrics.HTTP_SECONDS.labels(method, route).observe(time.perf_counter() - began)
    metrics.HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
    return response
