"""What every route group shares: settings, the backends over RPC, the caller, ids."""

import hashlib
import re

from nameko.extensions import DependencyProvider

from tilts_contracts import settings
from tilts_contracts.clock import new_id
from tilts_contracts.errors import Invalid, NotFound
from tilts_contracts.tokens import link_key, link_keys
from tilts_runtime.dependencies import RefuseKnownSecret
from tilts_runtime.queues import RpcProxy  # requests expire with RPC_TIMEOUT

from .access import AccessCache, identify
from .auth import Caller
from .rpc import call

SERVICES = ("registry", "pledges", "matching", "notify")
SAFE_ID = re.compile(r"[a-z]{2,5}_[0-9a-f]{12,40}\Z")  # \Z: "$" also takes a final \n


class Settings(DependencyProvider):
    """The gateway's view of config: the token secret, RPC timeout, public URL."""

    def setup(self):
        config = self.container.config
        self.secret = settings.get(config, "AUTH_SECRET")
        self.timeout = settings.number(config, "RPC_TIMEOUT")
        self.public_url = settings.get(config, "PUBLIC_URL").rstrip("/")
        self.link_key = link_key(config)  # signs emailed links and CSRF tokens
        self.link_keys = link_keys(config)  # reads links, old ones too

    def get_dependency(self, worker_ctx):
        return self


def checked_id(value: str, what: str = "id") -> str:
    """Ids are opaque but well-formed: anything else (a path, a script) is not found."""
    if not SAFE_ID.fullmatch(value or ""):
        raise NotFound(f"no such {what}", {what: value[:60]})
    return value


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
    access = AccessCache()  # the registry's answers on tokens and sessions, briefly

    def _rpc(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        return call(
            getattr(self, service), method, *args, timeout=timeout or self.config.timeout, **kwargs
        )

    def _caller(self, request, *roles: str) -> Caller:
        """Who sent `request` (401 without a valid token), holding one of `roles` (403)."""
        who = identify(self, request)
        return who.require(*roles) if roles else who
