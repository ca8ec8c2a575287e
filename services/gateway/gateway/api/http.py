"""HTTP in and out: JSON answers, the one error table, reading bodies within limits."""

import json
import logging

import eventlet
from nameko.exceptions import UnknownService
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from tilts_contracts.errors import Invalid, TiltsError

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
    return encoded_response(json.dumps(data, ensure_ascii=False), status, headers)


def encoded_response(body: str, status: int = 200, headers: dict | None = None) -> Response:
    """An answer already encoded as JSON (a kept list)."""
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
