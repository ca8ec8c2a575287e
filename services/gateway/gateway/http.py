"""HTTP plumbing: JSON responses, the one error table, body limits, RPC with a timeout."""

import json
import logging
import re
import time

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from tilts_contracts import settings
from tilts_contracts.errors import Invalid, TiltsError, Unavailable

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # 1 MiB of JSON is far more than any resource needs
JSON = "application/json; charset=utf-8"
MAX_DEPTH = 16  # objects and lists in a body; a questionnaire nests 4 deep
TOO_DEEP = f"nested too deeply (at most {MAX_DEPTH} levels of objects and lists)"


def _depth(data) -> int:
    """How deep objects and lists nest in `data`, counted without recursion."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, level = todo.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in value if isinstance(v, (dict, list)))
    return deepest


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False)
    return Response(body, status=status, headers=headers, content_type=JSON)


def error_response(status: int, code: str, message: str, details: dict | None = None) -> Response:
    return json_response(
        {"error": {"code": code, "message": message, "details": details or {}}}, status
    )


HTTP_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
}


def response_for(exc: BaseException) -> Response:
    """The one table from an exception to the `{"error": ...}` answer."""
    if isinstance(exc, TiltsError):
        return error_response(exc.status, exc.code, exc.message, exc.details)
    if isinstance(exc, RequestEntityTooLarge):
        limit = getattr(exc, "limit", MAX_BODY)
        return error_response(
            413, "too_large", f"the body is larger than {limit} bytes", {"limit": limit}
        )
    if isinstance(exc, RequestRedirect):  # /api//needs: the one URL, as a Location
        rv = error_response(exc.code, "moved", f"this is at {exc.new_url}", {"to": exc.new_url})
        rv.headers["Location"] = exc.new_url
        return rv
    if isinstance(exc, HTTPException):
        code = HTTP_CODES.get(exc.code, "error")
        rv = error_response(exc.code, code, exc.description or exc.name)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            rv.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return rv
    if isinstance(exc, (UnknownService, eventlet.Timeout)):
        return error_response(503, "unavailable", "a backend service did not answer in time")
    log.exception("unexpected error", exc_info=exc)  # backend bugs come as BackendFailed
    return error_response(500, "internal", "something went wrong on our side")


class BackendFailed(TiltsError):
    """A backend raised something that is not a domain error (a bug, not bad input):
    a 500 in the error shape, which the HTML pages answer with a page of their own."""

    code = "internal"
    status = 500


CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"


class JsonErrorsApp:
    """Routes that do not exist, or the wrong method, answer in the same JSON shape;
    origins listed in CORS_ORIGINS (none by default) may call from a browser."""

    def __init__(self, server):
        self.server = server
        self.url_map = server.make_url_map()
        origins = settings.get(server.container.config, "CORS_ORIGINS")
        self.origins = {o.strip().rstrip("/") for o in origins.split(",") if o.strip()}

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # eventlet de-chunks the body and ends it: werkzeug may read it (read_capped
            # reads one byte past the cap) instead of taking it for an empty one
            environ["wsgi.input_terminated"] = True
        request = Request(environ, shallow=True)
        request.max_content_length = MAX_BODY
        origin = request.headers.get("Origin", "").rstrip("/")
        allowed = origin in self.origins or ("*" in self.origins and origin)
        if allowed and request.method == "OPTIONS":
            rv = Response(status=204)
        else:
            adapter = self.url_map.bind_to_environ(environ)
            try:
                provider, values = adapter.match()
                request.path_values = values
                rv = provider.handle_request(request)
            except HTTPException as exc:
                rv = response_for(exc)
        if allowed:
            rv.headers["Access-Control-Allow-Origin"] = origin
            rv.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            rv.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        if self.origins:  # a cache must not hand one origin's answer to another
            rv.vary.add("Origin")
        return rv(environ, start_response)


class HideLinkTokens(logging.Filter):
    """A response or digest-off link acts for an organisation until it expires: the
    access log keeps the path, not the token, so reading logs grants no answers."""

    LINK = re.compile(r"(/respond/|/notifications/digest-off/)[^\s?\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/respond/" in message or "/digest-off/" in message:
            record.msg, record.args = self.LINK.sub(r"\1…", message), ()
        return True


class TiltsWebServer(WebServer):
    def setup(self):
        super().setup()
        access_log = logging.getLogger("nameko.web.server")
        if not any(isinstance(f, HideLinkTokens) for f in access_log.filters):
            access_log.addFilter(HideLinkTokens())

    def get_wsgi_app(self):
        return JsonErrorsApp(self)


class Route(HttpRequestHandler):
    """nameko's @http, answering every failure in the API's error shape."""

    server = TiltsWebServer()

    def __init__(self, method, url, **kwargs):
        # a 4xx is an answer, not a failure: log it as expected
        kwargs.setdefault("expected_exceptions", (TiltsError, HTTPException))
        super().__init__(method, url, **kwargs)

    def response_from_exception(self, exc):
        return response_for(exc)


route = Route.decorator


def read_json(request) -> dict:
    """The request's JSON object body, or a 4xx saying what is wrong with it."""
    if request.mimetype != "application/json":
        raise UnsupportedMedia("send JSON with Content-Type: application/json")
    raw = read_capped(request, MAX_BODY)
    try:
        data = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Invalid("the body is not valid JSON", {"_body": [str(exc)]}) from exc
    except RecursionError as exc:  # [[[[...]]]]: Python's JSON reader recurses
        raise Invalid("the body is nested too deeply", {"_body": [TOO_DEEP]}) from exc
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_body": ["expected an object"]})
    if _depth(data) > MAX_DEPTH:  # no resource nests this deep; RPC and BSON would choke
        raise Invalid("the body is nested too deeply", {"_body": [TOO_DEEP]})
    try:  # "\ud800" is valid JSON but no text: nothing downstream could store it
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(
            "the body contains invalid Unicode",
            {"_body": ["contains a lone surrogate (such as \\ud800), which is not text"]},
        ) from exc
    return data


class TooLarge(RequestEntityTooLarge):
    """A body over a route's own cap, smaller than MAX_BODY: the answer names that cap."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit


def read_capped(request, limit: int) -> bytes:
    """The body, or TooLarge(limit) when it is longer than `limit`.

    A chunked body has no length to check first, and werkzeug ends such a stream at the
    cap without a word: it reads one byte past `limit`, so a body that runs on is told
    from one that ends there. Every body read goes through here: the first read keeps
    the body, and a later one with a higher cap gets the same, whole, bytes back."""
    if (request.content_length or 0) > limit:
        raise TooLarge(limit)
    request.max_content_length = limit + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise TooLarge(limit) from exc
    if len(data) > limit:
        raise TooLarge(limit)
    return data


class UnsupportedMedia(TiltsError):
    code = "unsupported_media_type"
    status = 415


class TooManyRequests(TiltsError):
    code = "too_many_requests"
    status = 429


def call(proxy, method: str, *args, timeout: float, **kwargs):
    """An RPC that gives up after `timeout` seconds with 503, instead of hanging."""
    try:
        with eventlet.Timeout(timeout):
            return getattr(proxy, method).call_async(*args, **kwargs).result()
    except eventlet.Timeout as exc:
        raise Unavailable(
            f"{proxy.service_name} did not answer within {timeout:g} s",
            {"service": proxy.service_name},
        ) from exc
    except UnknownService as exc:
        raise Unavailable(
            f"{proxy.service_name} is not running", {"service": proxy.service_name}
        ) from exc
    except RemoteError as exc:
        log.error("backend error from %s.%s: %s", proxy.service_name, method, exc)
        raise BackendFailed(
            "something went wrong on our side", {"service": proxy.service_name}
        ) from exc


def call_all(calls: dict, timeout: float) -> dict:
    """Several RPCs at once, `{key: (proxy, method, *args)}`, under one deadline: each
    key gets its result, or the exception (Unavailable when nothing came in time). A
    service that is down costs `timeout` once, not once per service."""
    pending, results = {}, {}
    for key, (proxy, method, *args) in calls.items():
        try:
            pending[key] = getattr(proxy, method).call_async(*args)
        except Exception as exc:  # noqa: BLE001 - the broker refused: this one is down
            results[key] = exc
    deadline = time.monotonic() + timeout
    for key, reply in pending.items():
        try:
            with eventlet.Timeout(max(deadline - time.monotonic(), 0.001)):
                results[key] = reply.result()
        except eventlet.Timeout:
            results[key] = Unavailable(f"no answer within {timeout:g} s", {"call": str(key)})
        except Exception as exc:  # noqa: BLE001 - reported to the caller, not raised
            results[key] = exc
    return results
