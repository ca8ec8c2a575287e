"""Lists: which filters a list takes, its page size and the cursor it gives out."""

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from tilts_contracts.errors import Invalid

# a filter's allowed values: a vocabulary, the shape of an id, or None for free text
Allowed = Collection[str] | re.Pattern | None


def list_args(
    request, filters: tuple[str, ...], cursor_shape: re.Pattern
) -> tuple[dict, int, str | None]:
    """Filters, `limit` (1..500, default 50) and `cursor` from the query string.

    A cursor must have the shape this list gives out (`cursor_shape`): anything else
    is a 400, not the first page again or an empty list that looks like the end."""
    args = request.args
    empty = [k for k in ("cursor", *filters) if k in args and not args[k]]
    if empty:  # `?cursor=` is no cursor and no filter: say so rather than ignore it
        raise Invalid(f"empty query arguments: {', '.join(empty)}", {k: ["empty"] for k in empty})
    limit = args.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 500:
        raise Invalid("limit must be a whole number from 1 to 500", {"limit": [limit[:20]]})
    cursor = args.get("cursor") or None
    if cursor is not None and not cursor_shape.fullmatch(cursor):
        raise Invalid("cursor is not one this API gave out", {"cursor": [cursor[:60]]})
    return {k: args[k] for k in filters if args.get(k)}, int(limit), cursor


def checked_filters(filters: dict, known: dict[str, Allowed]) -> dict:
    """Unknown filter values are a 400 naming the filter, not an empty list: a value
    outside its vocabulary, or an id filter (a pattern) that is no id of this API."""
    problems = {}
    for key, allowed in known.items():
        value = filters.get(key)
        if value is None or allowed is None:
            continue
        if isinstance(allowed, re.Pattern):
            if not allowed.fullmatch(value):
                problems[key] = [f"{value[:40]!r} is not an id of this API"]
        elif value not in allowed:
            problems[key] = [f"unknown {key} {value[:40]!r}; one of {', '.join(sorted(allowed))}"]
    if problems:
        raise Invalid(f"invalid filters: {', '.join(sorted(problems))}", problems)
    return filters


def paged(items: list[dict], limit: int, cursor: str | None) -> dict:
    """A page of a short list a service answers whole (in id order)."""
    after = [i for i in items if cursor is None or i["id"] > cursor]
    page = after[:limit]
    return {"items": page, "next": page[-1]["id"] if len(after) > limit else None}


@dataclass(frozen=True)
class Listing:
    """A list endpoint's query: its filters (from the contracts' FILTERS), the shape of
    its cursor, and the longest a free-text filter may be. Read by the handler, and by
    openapi.py to describe exactly what a 400 refuses."""

    filters: dict[str, Allowed]
    cursor: re.Pattern
    max_text: dict[str, int] = field(default_factory=dict)

    def read(self, request) -> tuple[dict, int, str | None]:
        """(filters, limit, cursor) from the query string, or a 400 naming what is wrong."""
        filters, limit, cursor = list_args(request, tuple(self.filters), self.cursor)
        too_long = [k for k, n in self.max_text.items() if len(filters.get(k, "")) > n]
        if too_long:
            raise Invalid(
                f"invalid filters: {', '.join(too_long)}",
                {k: [f"at most {self.max_text[k]} characters"] for k in too_long},
            )
        return checked_filters(filters, self.filters), limit, cursor
