"""The OpenAPI 3.1 description, generated from the routes and the marshmallow schemas.

Paths and methods come from the gateway's own entrypoints, so a route cannot be
missing; bodies and answers come from `tilts_contracts.api` through apispec's
marshmallow plugin. `DOCS` only says which schema goes where, and who may call.
"""

import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import INCLUDE, Schema, fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from tilts_contracts import api

from .http import Route
from .routes import admin, matches, needs, notifications, offers, organisations
from .routes.base import NOTE_CURSOR

PUBLIC = ()
STAFF = ("admin", "coordinator")
ANYONE = ("admin", "coordinator", "organisation")


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


class OrganisationPage(Schema):
    items = fields.List(fields.Nested(api.Organisation))
    next = fields.String(allow_none=True)


class OfferPage(Schema):
    items = fields.List(fields.Nested(api.Offer))
    next = fields.String(allow_none=True)


class NeedPage(Schema):
    items = fields.List(fields.Nested(api.Need))
    next = fields.String(allow_none=True)


class MatchPage(Schema):
    items = fields.List(fields.Nested(api.Match))
    next = fields.String(allow_none=True)


class Stats(Schema):
    """Counts by status; a service that did not answer leaves its counts null."""

    class Meta:
        unknown = INCLUDE  # a service may count something new

    organisations = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    offers = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    needs = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    matches = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    parked_events = fields.Integer(allow_none=True)
    notifications = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    down = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "services that did not answer: their counts are null"},
    )


# handler name -> (tag, who, request schema, (status, answer schema), query parameters)
ORG_FILTERS, OFFER_FILTERS = (
    ("domain", "region", "status", "q"),
    ("domain", "region", "organisation_id", "status"),
)
DOCS = {
    "health": ("operations", PUBLIC, None, (200, None), ()),
    "health_live": ("operations", PUBLIC, None, (200, None), ()),
    "parked_events": ("operations", ("admin",), None, (200, None), ()),
    "stats": ("operations", STAFF, None, (200, Stats), ()),
    "metrics": ("operations", PUBLIC, None, (200, "text/plain"), ()),
    "questionnaire": (
        "organisations",
        PUBLIC,
        api.QuestionnaireIn,
        (202, api.QuestionnaireReceipt),
        (),
    ),
    "create_organisation": (
        "organisations",
        STAFF,
        api.OrganisationIn,
        (201, api.Organisation),
        (),
    ),
    "list_organisations": ("organisations", STAFF, None, (200, OrganisationPage), ORG_FILTERS),
    # staff get the detail (held offers, history); an organisation the resource alone
    "get_organisation": ("organisations", ANYONE, None, (200, api.OrganisationDetail), ()),
    # a PATCH changes only the fields it sends: partial schemas, nothing required
    "update_organisation": (
        "organisations",
        ANYONE,
        api.OrganisationIn(partial=True),
        (200, api.Organisation),
        (),
    ),
    "verify_organisation": ("organisations", STAFF, None, (200, api.Organisation), ()),
    "suspend_organisation": ("organisations", STAFF, api.SuspendIn, (200, api.Organisation), ()),
    "import_organisations": ("organisations", STAFF, "text/csv", (200, None), ()),
    "export_organisation": ("organisations", ("admin", "organisation"), None, (200, None), ()),
    "erase_organisation": (
        "organisations",
        ("admin", "organisation"),
        None,
        (200, api.Organisation),
        (),
    ),
    "pledge_offer": ("offers", ANYONE, api.OfferIn, (201, api.Offer), ()),
    "list_offers": ("offers", ANYONE, None, (200, OfferPage), OFFER_FILTERS),
    "get_offer": ("offers", ANYONE, None, (200, api.Offer), ()),
    "update_offer": ("offers", ANYONE, api.OfferEdit(partial=True), (200, api.Offer), ("force",)),
    "withdraw_offer": ("offers", ANYONE, None, (200, api.Offer), ("force",)),
    "post_need": ("needs", STAFF, api.NeedIn, (201, api.Need), ()),
    "list_needs": (
        "needs",
        STAFF,
        None,
        (200, NeedPage),
        ("domain", "region", "status", "urgency"),
    ),
    "get_need": ("needs", STAFF, None, (200, api.Need), ()),
    "update_need": ("needs", STAFF, api.NeedIn(partial=True), (200, api.Need), ()),
    "cancel_need": ("needs", STAFF, None, (200, api.Need), ()),
    "list_matches": (
        "matches",
        ANYONE,
        None,
        (200, MatchPage),
        ("need_id", "organisation_id", "status"),
    ),
    "answer_match": ("matches", ANYONE, None, (200, api.Match), ()),
    "list_notifications": (
        "notifications",
        STAFF,
        None,
        (200, None),
        ("status", "recipient", "template", "organisation_id"),
    ),
    "resend_notification": ("notifications", STAFF, None, (200, None), ()),
    "get_preferences": ("notifications", ANYONE, None, (200, None), ()),
    "set_preferences": ("notifications", ANYONE, api.Preferences, (200, None), ()),
    "list_subscriptions": ("notifications", STAFF, None, (200, None), ()),
    "subscribe": ("notifications", STAFF, api.Subscription, (201, None), ()),
    "unsubscribe": ("notifications", STAFF, None, (204, None), ()),
    "digest_off": ("pages", PUBLIC, None, (200, "text/html"), ("lang",)),
    "wall": ("pages", PUBLIC, None, (200, "text/html"), ("lang", "region")),
    "dashboard": ("pages", PUBLIC, None, (200, "text/html"), ("lang",)),
    "commitments": ("pages", PUBLIC, None, (200, "text/html"), ("lang", "format")),
    "respond_page": ("pages", PUBLIC, None, (200, "text/html"), ("lang",)),
    "respond_action": ("pages", PUBLIC, "form", (200, "text/html"), ("lang",)),
    "openapi": ("operations", PUBLIC, None, (200, None), ()),
}
PAGED = {
    "list_organisations",
    "list_offers",
    "list_needs",
    "list_matches",
    "list_notifications",
    "list_subscriptions",
    "parked_events",
}
ERRORS = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    503: "unavailable",
}
# pages whose refusals are pages too (a link that expired, was used, or was never ours)
HTML_ERRORS = {
    "wall": (400, 503),
    "dashboard": (503,),
    "respond_page": (404, 410, 503),
    "respond_action": (400, 404, 409, 410, 503),
    "digest_off": (404, 503),
}
# a page as format=html, the API's JSON error as md, csv or json
HTML_OR_JSON_ERRORS = {"commitments": (503,)}
PARAM = re.compile(r"<(?:(any)\(([^)]*)\):)?([a-z_]+)>")


def routes(service_cls) -> list[tuple[str, str, str, str]]:
    """(method, werkzeug url, handler name, docstring) of every HTTP entrypoint."""
    found = []
    for name in dir(service_cls):
        method = getattr(service_cls, name)
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, Route):
                for verb in entrypoint.method.split(","):
                    found.append((verb, entrypoint.url, name, method.__doc__ or ""))
    return sorted(found, key=lambda r: (r[1], r[0]))


def _path(url: str) -> tuple[str, list[dict]]:
    params = []

    def swap(match):
        kind, choices, name = match.groups()
        schema = {"type": "string"}
        if kind == "any":
            schema["enum"] = [c.strip() for c in choices.split(",")]
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return PARAM.sub(swap, url), params


def schema_name(schema) -> str:
    """A component's name: the schema's class, with Patch for its partial form."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) is True else name


# list handler -> (the filters it checks, its cursor's shape): a vocabulary is an enum
# in the document, an id or cursor shape a pattern, so clients see what a 400 refuses
LIST_RULES = {
    "list_organisations": (organisations.FILTERS, organisations.CURSOR),
    "list_offers": (offers.FILTERS, offers.CURSOR),
    "list_needs": (needs.FILTERS, needs.CURSOR),
    "list_matches": (matches.FILTERS, matches.CURSOR),
    "list_notifications": (notifications.FILTERS, NOTE_CURSOR),
    "list_subscriptions": ({}, notifications.SUB_CURSOR),
    "parked_events": ({}, admin.PARKED_CURSOR),
}


def _query_schema(allowed) -> dict:
    if allowed is None:
        return {"type": "string"}
    if isinstance(allowed, re.Pattern):
        return {"type": "string", "pattern": f"^{allowed.pattern}$"}
    return {"type": "string", "enum": sorted(allowed)}


@cache
def document(service_cls, server_url: str = "/") -> dict:
    spec = APISpec(
        title="Tilts API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)],
        info={
            "description": "Coordinating help for refugee reception: "
            "organisations, offers, needs, matches."
        },
        servers=[{"url": server_url}],
    )
    spec.components.schema("Error", schema=Error)
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    paths: dict[str, dict] = {}
    named: set[tuple[str, str]] = set()
    for verb, url, name, doc in routes(service_cls):
        tag, who, body, (status, answer), query = DOCS[name]
        path, params = _path(url)
        filters, cursor = LIST_RULES.get(name, ({}, None))
        operation: dict = {
            "operationId": f"{name}_{verb.lower()}"
            if verb != "GET" or name == "digest_off"
            else name,
            "tags": [tag],
            "summary": (doc.strip().splitlines() or [name.replace("_", " ")])[0],
            "parameters": params
            + [
                {
                    "name": q,
                    "in": "query",
                    "required": False,
                    "schema": _query_schema(filters.get(q)),
                }
                for q in query
            ],
            "responses": {},
        }
        if name in PAGED:
            operation["parameters"] += [
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "schema": _query_schema(cursor),
                },
            ]
        if who:
            operation["security"] = [{"bearer": []}]
            operation["description"] = "Who may call: " + ", ".join(who) + "."
        if isinstance(body, (type, Schema)):
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
        elif body == "text/csv":
            operation["requestBody"] = {
                "required": True,
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        elif body == "form":
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["action"],
                            "properties": {
                                "action": {"type": "string", "enum": ["accept", "decline"]}
                            },
                        }
                    }
                },
            }
        if answer in ("text/html", "text/plain"):
            content = {answer: {"schema": {"type": "string"}}}
        elif isinstance(answer, type):
            content = {"application/json": {"schema": answer}}
        else:
            content = {"application/json": {"schema": {"type": "object"}}}
        operation["responses"][str(status)] = {
            "description": "done",
            **({"content": content} if status != 204 else {}),
        }
        for code, label in ERRORS.items():
            operation["responses"][str(code)] = {
                "description": label,
                "content": {"application/json": {"schema": "Error"}},
            }
        for code in HTML_ERRORS.get(name, ()):
            operation["responses"][str(code)] = {
                "description": "a page saying what is wrong",
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        for code in HTML_OR_JSON_ERRORS.get(name, ()):
            operation["responses"][str(code)]["content"]["text/html"] = {
                "schema": {"type": "string"}
            }
        named.add((path, name))
        paths.setdefault(path, {})[verb.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
