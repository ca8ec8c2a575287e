"""Who is asking, now: a personal token still standing, the operator's token, or (for
/api/tokens and the pages) a session. The registry's answers are kept at most
ACCESS_CACHE_SECONDS (30 s) in each gateway process, so a revoked token or a suspended
organisation is refused within a minute in every replica, and a busy API does not ask
on every request."""

import time

from nameko.extensions import DependencyProvider

from tilts_contracts import settings
from tilts_contracts.errors import Unauthenticated
from tilts_contracts.tokens import PERSONAL, read_token

from ..web import session
from .auth import Caller

CACHE_MAX = 10_000  # answers kept per process; the oldest go first past this


class AccessCache(DependencyProvider):
    """The registry's recent answers on tokens and sessions, shared by this process's
    workers: (key) -> (until, answer)."""

    def setup(self):
        self.answers: dict[tuple, tuple[float, object]] = {}
        self.seconds = cache_seconds(self.container.config)

    def get_dependency(self, worker_ctx):
        return self

    def get(self, key: tuple, fetch):
        now = time.monotonic()
        held = self.answers.get(key)
        if held is not None and held[0] > now:
            return held[1]
        answer = fetch()
        if len(self.answers) >= CACHE_MAX:
            for old in sorted(self.answers, key=lambda k: self.answers[k][0])[: CACHE_MAX // 10]:
                self.answers.pop(old, None)
        self.answers[key] = (now + self.seconds, answer)
        return answer

    def forget(self, key: tuple) -> None:
        self.answers.pop(key, None)


def cache_seconds(config) -> float:
    """ACCESS_CACHE_SECONDS, 0 to 300, or SystemExit saying why (at start)."""
    return settings.number(config, "ACCESS_CACHE_SECONDS")


def bearer(request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def from_identity(identity: dict, kind: str, jti: str | None = None) -> Caller:
    """A Caller for what the registry says an account may do."""
    return Caller(
        role=identity["role"],
        sub=identity["account"],
        org=identity.get("organisation_id"),
        domains=tuple(identity.get("domains") or ()),
        email=identity.get("email"),
        kind=kind,
        jti=jti,
    )


def token_caller(routes, token: str) -> Caller:
    """The caller a bearer token stands for; Unauthenticated if it is forged, expired,
    of another server or audience, revoked, or its account can no longer act."""
    config = routes.config
    # a worker made in a unit test may have no public_url: then no issuer is checked
    claims = read_token(config.secret, token, issuer=getattr(config, "public_url", None))
    if claims.get("kind") != PERSONAL:  # the operator's, or one made before accounts
        return Caller(
            role=claims["role"], sub=str(claims.get("sub", claims["role"])), org=claims.get("org")
        )
    jti = claims["jti"]
    identity = routes.access.get(
        ("token", jti), lambda: routes._rpc("registry", "token_status", jti)
    )
    if identity is None or identity["account"] != claims["sub"]:
        raise Unauthenticated("this token was revoked, or its account can no longer act")
    return from_identity(identity, PERSONAL, jti)


def session_identity(routes, session_id: str | None) -> dict | None:
    """Who a session cookie stands for (the registry's answer, kept <= 30 s), or None."""
    if not session_id or len(session_id) > 200:
        return None
    return routes.access.get(
        ("session", session_id), lambda: routes._rpc("registry", "session", session_id)
    )


# the API paths a page's session may call (with the CSRF token for a change)
SESSION_PATHS = ("/api/tokens",)


def identify(routes, request) -> Caller:
    """Who is asking: the bearer token, or on SESSION_PATHS the session cookie."""
    token = bearer(request)
    if token:
        return token_caller(routes, token)
    sid = session.session_id(request)
    if sid and request.path.startswith(SESSION_PATHS):
        identity = session_identity(routes, sid)
        if identity is None:
            raise Unauthenticated("the session has ended; sign in again at /signin")
        if request.method != "GET":
            sent = request.headers.get(session.CSRF_HEADER, "")
            session.check_csrf(request, routes.config.link_key, sent)
        return from_identity(identity, "session")
    raise Unauthenticated("send Authorization: Bearer <token> (see `tilts login`)")
