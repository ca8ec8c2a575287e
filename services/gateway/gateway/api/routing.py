"""How a route is declared: method and path, who may call, what it takes and answers.

The declaration is the one place these are said: the route checks the caller's role
from it before the handler runs (the handler finds them in `request.caller`), and
openapi.py describes the API from the declarations.
"""

import functools
from dataclasses import dataclass

from marshmallow import Schema, fields

from tilts_contracts.tokens import ROLES

from .listing import Listing
from .server import HttpEntrypoint

PUBLIC: tuple[str, ...] = ()
ADMIN = ("admin",)
STAFF = ("admin", "coordinator")
ADMIN_OR_OWN = ("admin", "organisation")  # an organisation: its own data only
ANYONE = ROLES  # any signed-in caller; the handler narrows an organisation to its own


@dataclass(frozen=True)
class Declared:
    """What the API description says of one route."""

    tag: str
    who: tuple[str, ...] = PUBLIC
    body: object = None  # a marshmallow schema, "text/csv" or "form"
    body_optional: bool = False  # no body at all means every field's default
    answer: object = None  # a schema, "text/html", "text/plain", a tuple of media types,
    # or None: a JSON object
    status: int = 200
    listing: Listing | None = None  # a paged list: its filters and cursor
    query: tuple[str, ...] = ()  # other query arguments
    page_errors: tuple[int, ...] = ()  # refusals a browser gets as a page
    page_or_json_errors: tuple[int, ...] = ()  # a page as format=html, else JSON


# handler name -> its declaration; a name twice would shadow a route in GatewayService
DECLARED: dict[str, Declared] = {}


def route(method: str, path: str, *, tag: str, **declared):
    """The nameko HTTP entrypoint with its declaration; see `Declared` for the fields."""
    info = Declared(tag=tag, **declared)

    def decorate(handler):
        if handler.__name__ in DECLARED:
            raise ValueError(f"two routes named {handler.__name__}")
        DECLARED[handler.__name__] = info

        @functools.wraps(handler)
        def checked(self, request, *args, **kwargs):
            if info.who:
                request.caller = self._caller(request, *info.who)
            return handler(self, request, *args, **kwargs)

        return HttpEntrypoint.decorator(method, path)(checked)

    return decorate


def tagged(tag: str):
    """`route` for one module's routes, all under the same tag in the description."""
    return functools.partial(route, tag=tag)


@functools.cache
def page_of(item: type[Schema]) -> type[Schema]:
    """The answer of a list: a page of `item`s and the cursor of the next page."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item)), "next": fields.String(allow_none=True)},
        name=item.__name__ + "Page",
    )
