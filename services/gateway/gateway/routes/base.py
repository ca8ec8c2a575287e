"""What every route module shares: settings, id and paging checks, RPC and callers."""

import hashlib
import re
from collections.abc import Collection

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from tilts_contracts import settings
from tilts_contracts.clock import new_id
from tilts_contracts.errors import Invalid, NotFound
from tilts_contracts.messaging import RefuseKnownSecret

from .. import pages
from ..auth import Caller, caller
from ..http import call

SERVICES = ("registry", "pledges", "matching", "notify")
SAFE_ID = re.compile(r"[a-z]{2,5}_[0-9a-f]{12,40}\Z")  # \Z: "$" also takes a final \n
# the outbox pages by "<created_at>.<id>" (its ids come from events, in no time order)
NOTE_CURSOR = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.[A-Za-z0-9_.:-]{1,120}")


class Settings(DependencyProvider):
    """The gateway's view of config: the token secret, RPC timeout, public URL."""

    def setup(self):
        config = self.container.config
        self.secret = settings.get(config, "AUTH_SECRET")
        self.timeout = float(settings.get(config, "RPC_TIMEOUT"))
        self.public_url = settings.get(config, "PUBLIC_URL").rstrip("/")
        self.templates = pages.environment()

    def get_dependency(self, worker_ctx):
        return self


def checked_id(value: str, what: str = "id") -> str:
    """Ids are opaque but well-formed: anything else (a path, a script) is not found."""
    if not SAFE_ID.fullmatch(value or ""):
        raise NotFound(f"no such {what}", {what: value[:60]})
    return value


def id_cursor(prefix: str) -> re.Pattern:
    """The shape of an id this API gives out, such as `need_<hex>`: the cursor of a list
    in id order (the last id shown), and what an id filter (`?need_id=`) must look like."""
    return re.compile(rf"{prefix}_[0-9a-f]{{12,40}}")


def list_args(
    request, filters: tuple[str, ...], cursor_shape: re.Pattern
) -> tuple[dict, int, str | None]:
    """Filters, `limit` (1..500, default 50) and `cursor` from the query string.

    A cursor must have the shape this list gives out (`cursor_shape`): anything else
    is a 400, not the first page again or an empty list that looks like the end."""
    args = request.args
    limit = args.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 500:
        raise Invalid("limit must be a whole number from 1 to 500", {"limit": [limit[:20]]})
    cursor = args.get("cursor") or None
    if cursor is not None and not cursor_shape.fullmatch(cursor):
        raise Invalid("cursor is not one this API gave out", {"cursor": [cursor[:60]]})
    return {k: args[k] for k in filters if args.get(k)}, int(limit), cursor


def checked_filters(filters: dict, known: dict[str, Collection[str] | re.Pattern]) -> dict:
    """Unknown filter values are a 400 naming the filter, not an empty list: a value
    outside its vocabulary, or an id filter (a pattern) that is no id of this API."""
    problems = {}
    for key, allowed in known.items():
        value = filters.get(key)
        if value is None:
            continue
        if isinstance(allowed, re.Pattern):
            if not allowed.fullmatch(value):
                problems[key] = [f"{value[:40]!r} is not an id of this API"]
        elif value not in allowed:
            problems[key] = [f"unknown {key} {value[:40]!r}; one of {', '.join(sorted(allowed))}"]
    if problems:
        raise Invalid(f"invalid filters: {', '.join(sorted(problems))}", problems)
    return filters


def creation_id(request, prefix: str, who: Caller) -> str:
    """The id of a resource this request creates.

    With an `Idempotency-Key` header the id follows from the key (and the caller), so
    a client that retries after a timeout gets the first resource, not a second one.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return new_id(prefix)
    if len(key) > 200:
        raise Invalid("Idempotency-Key is too long", {"Idempotency-Key": ["at most 200"]})
    digest = hashlib.sha256(f"{who.role}:{who.sub}:{who.org}:{prefix}:{key}".encode())
    return f"{prefix}_{digest.hexdigest()[:24]}"


def flag_arg(request, name: str) -> bool:
    """A yes/no query argument: `?force=true`; anything but true/false is a 400."""
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise Invalid(f"{name} must be true or false", {name: [value[:20]]})
    return value in ("true", "1", "yes")


class Routes:
    """Base of the route groups: the dependencies and helpers every handler uses."""

    config: Settings = Settings()
    known_secret = RefuseKnownSecret()  # no start with a secret anyone can read
    registry = RpcProxy("registry")
    pledges = RpcProxy("pledges")
    matching = RpcProxy("matching")
    notify = RpcProxy("notify")

    def _rpc(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        return call(
            getattr(self, service), method, *args, timeout=timeout or self.config.timeout, **kwargs
        )

    def _caller(self, request, *roles: str) -> Caller:
        who = caller(request, self.config.secret)
        return who.require(*roles) if roles else who
