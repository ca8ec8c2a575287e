"""The OpenAPI 3.1 description, generated from the route declarations.

Paths and methods come from the service's own entrypoints, so a route cannot be
missing; who may call, bodies, answers and list filters from each route's `@route`
declaration (routing.py), the schemas through apispec's marshmallow plugin.
"""

import re
from collections import Counter
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from tilts_contracts import taxonomy
from tilts_contracts.schemas.access import StaffIn
from tilts_contracts.schemas.common import Text, text_pattern

from .listing import Allowed, Listing
from .routing import DECLARED, Declared
from .server import HttpEntrypoint

ERRORS = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    503: "unavailable",
}
PARAM = re.compile(r"<(?:(any)\(([^)]*)\):)?([a-z_]+)>")
TEXT = {"type": "string"}
FORM = {  # the respond page's buttons
    "type": "object",
    "required": ["action"],
    "properties": {"action": {"type": "string", "enum": ["accept", "decline"]}},
}
OBJECT = {"type": "object"}
WEB_ADDRESS = r"^https?://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,6}(/[!-~]*)?$"
# an admin has every working group: only a coordinator's `domains` may name some
STAFF_DOMAINS = {
    "if": {"properties": {"role": {"const": "coordinator"}}},
    "else": {"properties": {"domains": {"maxItems": 0}}},
}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
# the other query arguments a route may declare: what each handler accepts
QUERY = {
    "lang": TEXT,  # a language the pages speak is used, anything else falls back
    "force": {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]},
    "format": {"type": "string", "enum": ["html", "md", "csv", "json"], "default": "html"},
    "region": {"type": "string", "enum": ["", *sorted(taxonomy.OFFER_REGIONS)]},  # "": all
    "done": TEXT,  # what an /org page says was just done; anything else says nothing
}


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


def routes(service_cls) -> list[tuple[str, str, str, str]]:
    """(method, werkzeug url, handler name, docstring) of every HTTP entrypoint."""
    found = []
    for name in dir(service_cls):
        method = getattr(service_cls, name)
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpEntrypoint):
                for verb in entrypoint.method.split(","):
                    found.append((verb, entrypoint.url, name, method.__doc__ or ""))
    return sorted(found, key=lambda r: (r[1], r[0]))


def schema_name(schema) -> str:
    """A component's name: the schema's class, with Patch for its partial form."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) is True else name


def _path(url: str) -> tuple[str, list[dict]]:
    """The OpenAPI path of a werkzeug url, and its path parameters."""
    params = []

    def swap(match):
        kind, choices, name = match.groups()
        schema = dict(TEXT)
        if kind == "any":
            schema["enum"] = [c.strip() for c in choices.split(",")]
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return PARAM.sub(swap, url), params


def _query_schema(allowed: Allowed, max_length: int | None = None) -> dict:
    """What a query argument may be: a vocabulary is an enum, an id or cursor a pattern."""
    if isinstance(allowed, re.Pattern):
        return {"type": "string", "pattern": f"^{allowed.pattern}$"}
    if allowed is not None:
        return {"type": "string", "enum": sorted(allowed)}
    text = {**TEXT, "minLength": 1}  # an empty value is refused, not read as no filter
    return {**text, "maxLength": max_length} if max_length else text


def _query(name: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _parameters(url: str, declared: Declared) -> tuple[str, list[dict]]:
    path, params = _path(url)
    # a page's other arguments are text to it: a bad one is a 400 page naming it
    params += [_query(q, dict(QUERY.get(q, TEXT))) for q in declared.query]
    listing: Listing | None = declared.listing
    if listing is not None:
        params += [
            _query(k, _query_schema(v, listing.max_text.get(k))) for k, v in listing.filters.items()
        ]
        params += [_query("limit", LIMIT), _query("cursor", _query_schema(listing.cursor))]
    return path, params


def _request_body(body, optional: bool) -> dict | None:
    if body is None:
        return None
    if body == "text/csv":
        content = {"text/csv": {"schema": {**TEXT, "minLength": 1}}}
    elif body == "form":
        content = {"application/x-www-form-urlencoded": {"schema": FORM}}
    else:  # a marshmallow schema, class or instance
        content = {"application/json": {"schema": body}}
    return {"required": not optional, "content": content}


def _responses(declared: Declared) -> dict:
    """The answer, then every refusal: JSON errors, or pages where a browser gets one."""
    answer = declared.answer
    if isinstance(answer, tuple):  # media types a format= argument chooses among
        content = {m: {"schema": OBJECT if m.endswith("json") else TEXT} for m in answer}
    elif answer in ("text/html", "text/plain"):
        content = {answer: {"schema": TEXT}}
    else:
        content = {"application/json": {"schema": answer or {"type": "object"}}}
    done = {"description": "done"}
    if declared.status != 204:
        done["content"] = content
    responses = {str(declared.status): done}
    for code, label in ERRORS.items():
        responses[str(code)] = {
            "description": label,
            "content": {"application/json": {"schema": "Error"}},
        }
    if declared.body is not None:  # a body sent as another media type
        responses["415"] = {
            "description": "unsupported_media_type",
            "content": {"application/json": {"schema": "Error"}},
        }
    for code in declared.page_errors:
        responses[str(code)] = {
            "description": "a page saying what is wrong",
            "content": {"text/html": {"schema": TEXT}},
        }
    for code in declared.page_or_json_errors:
        responses[str(code)]["content"]["text/html"] = {"schema": TEXT}
    return responses


def _operation(verb: str, name: str, doc: str, only_get: bool, params: list) -> dict:
    """One method of a path; its id is the handler's name, with the method unless GET alone."""
    declared = DECLARED[name]
    operation = {
        "operationId": name if only_get else f"{name}_{verb.lower()}",
        "tags": [declared.tag],
        "summary": (doc.strip().splitlines() or [name.replace("_", " ")])[0],
        "parameters": params,
        "responses": _responses(declared),
    }
    if declared.who:
        operation["security"] = [{"bearer": []}]
        operation["description"] = "Who may call: " + ", ".join(declared.who) + "."
    body = _request_body(declared.body, declared.body_optional)
    if body:
        operation["requestBody"] = body
    return operation


def text_rule(converter, field, ret, **kwargs) -> dict:
    """A `Text` field's pattern: no control or invisible formatting characters; a URL's
    (http or https, a host with a top-level domain)."""
    if isinstance(field, Text):
        return {"pattern": text_pattern(field.lines)}
    if isinstance(field, fields.Url):
        ret.pop("format", None)  # JSON Schema has no "url"; "uri" admits far more
        return {"pattern": WEB_ADDRESS}
    return {}


def _spec(server_url: str) -> APISpec:
    marshmallow = MarshmallowPlugin(schema_name_resolver=schema_name)
    spec = APISpec(
        title="Tilts API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[marshmallow],
        info={
            "description": "Coordinating help for refugee reception: "
            "organisations, offers, needs, matches."
        },
        servers=[{"url": server_url}],
    )
    marshmallow.converter.add_attribute_function(text_rule)
    spec.components.schema("Error", schema=Error)
    spec.components.schema("StaffIn", STAFF_DOMAINS, schema=StaffIn)
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    return spec


@cache
def document(service_cls, server_url: str = "/") -> dict:
    """The description of every route `service_cls` serves."""
    spec = _spec(server_url)
    found = routes(service_cls)
    verbs = Counter(name for _, _, name, _ in found)
    paths: dict[str, dict] = {}
    for verb, url, name, doc in found:
        path, params = _parameters(url, DECLARED[name])
        only_get = verb == "GET" and verbs[name] == 1
        paths.setdefault(path, {})[verb.lower()] = _operation(verb, name, doc, only_get, params)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
