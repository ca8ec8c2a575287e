"""Signed tokens: API bearer tokens and the one-click links in emails.

API tokens are HS256 JWTs signed with AUTH_SECRET: a person's personal token (made by
the registry, with a `jti` it can revoke) or the operator's (`tilts token`). Emailed
links are signed with a different key (`link_key`), so a link in an inbox grants
nothing over the API and rotating one key leaves the other alone. notify signs links
and the gateway reads them, so the format is a contract between the two.
"""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import jwt

from . import settings
from .clock import utcnow
from .errors import Invalid, Unauthenticated

ROLES = ("admin", "coordinator", "organisation")
STAFF_ROLES = ("admin", "coordinator")
RESPOND_PURPOSE = "respond"
AUDIENCE = "tilts-api"
PERSONAL, OPERATOR = "personal", "operator"
# the longest a personal token lives, by role (DESIGN: 90 days organisations, 30 staff)
MAX_TOKEN_DAYS = {"organisation": 90, "admin": 30, "coordinator": 30}
# `tilts token`: a day unless asked, never more than this
OPERATOR_DAYS, OPERATOR_MAX_DAYS = 1, 30
LINK_INFO = b"tilts links"


def hkdf_sha256(secret: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF with SHA-256 and no salt: a key for one purpose from another."""
    prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm, counter = okm + block, counter + 1
    return okm[:length]


def link_key(config: Mapping) -> str:
    """What signs emailed links: LINK_SECRET, else a key derived from AUTH_SECRET."""
    explicit = settings.get(config, "LINK_SECRET")
    if explicit:
        return explicit
    return hkdf_sha256(settings.get(config, "AUTH_SECRET").encode(), LINK_INFO).hex()


def link_keys(config: Mapping) -> list[str]:
    """The keys a link is read with: the link key, then AUTH_SECRET, which signed the
    links sent before the keys were separated (they stay valid until they expire)."""
    return [link_key(config), settings.get(config, "AUTH_SECRET")]


def issue_personal_token(
    secret: str,
    identity: Mapping,
    jti: str,
    issuer: str,
    expires: datetime,
    now: datetime | None = None,
) -> str:
    """A person's API token: their account, role and scope, revocable by `jti`."""
    claims = {
        "sub": identity["account"],
        "kind": PERSONAL,
        "role": identity["role"],
        "jti": jti,
        "iss": issuer,
        "aud": AUDIENCE,
        "iat": now or utcnow(),
        "exp": expires,
    }
    if identity.get("organisation_id"):
        claims["org"] = identity["organisation_id"]
    if identity.get("domains"):
        claims["domains"] = list(identity["domains"])
    return jwt.encode(claims, secret, algorithm="HS256")


def issue_operator_token(
    secret: str,
    role: str,
    issuer: str,
    org: str | None = None,
    days: float = OPERATOR_DAYS,
    now: datetime | None = None,
) -> str:
    """The server operator's token (`tilts token`): no record, at most 30 days."""
    if not 0 < days <= OPERATOR_MAX_DAYS:
        raise Invalid(
            f"an operator token lives at most {OPERATOR_MAX_DAYS} days",
            {"days": [f"more than 0, at most {OPERATOR_MAX_DAYS}"]},
        )
    return issue_token(secret, role, org=org, sub=OPERATOR, days=days, now=now, issuer=issuer)


def issue_token(
    secret: str,
    role: str,
    org: str | None = None,
    sub: str | None = None,
    days: float = 30,
    now: datetime | None = None,
    issuer: str | None = None,
) -> str:
    """An operator's bearer token for the HTTP API (signed with AUTH_SECRET, no record)."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", {"role": [f"one of {', '.join(ROLES)}"]})
    if role == "organisation" and not org:
        raise Invalid("an organisation token names its organisation", {"org": ["required"]})
    now = now or utcnow()
    claims = {
        "role": role,
        "sub": sub or role,
        "kind": OPERATOR,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(days=days),
    }
    if issuer:
        claims["iss"] = issuer
    if org:
        claims["org"] = org
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(secret: str, token: str, issuer: str | None = None) -> dict:
    """The claims of a valid bearer token; Unauthenticated if forged, expired, odd, or
    meant for another audience or issuer. A personal token must carry jti, iss and aud
    (the caller then asks the registry whether its `jti` still stands)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"require": ["exp", "role"], "verify_aud": False, "verify_iss": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("the token is not valid") from exc
    if claims.get("role") not in ROLES or claims.get("purpose"):
        raise Unauthenticated("the token is not an API token")
    if claims["role"] == "organisation" and not claims.get("org"):
        raise Unauthenticated("an organisation token must name its organisation")
    _check_audience(claims, issuer)
    return claims


def _check_audience(claims: dict, issuer: str | None) -> None:
    kind = claims.get("kind", OPERATOR)
    if kind not in (PERSONAL, OPERATOR):
        raise Unauthenticated("the token is not an API token", {"kind": [str(kind)[:40]]})
    if kind == PERSONAL and not all(claims.get(k) for k in ("jti", "iss", "aud", "sub")):
        raise Unauthenticated("a personal token names its id, issuer and audience")
    if "aud" in claims and claims["aud"] != AUDIENCE:
        raise Unauthenticated("the token is meant for another audience", {"aud": [AUDIENCE]})
    if "iss" in claims and issuer and claims["iss"] != issuer.rstrip("/"):
        raise Unauthenticated("the token was issued by another server", {"iss": [issuer]})


def sign_response_link(secret: str, match_id: str, organisation_id: str, expires: datetime) -> str:
    """The token in `/respond/<token>`: one match, one organisation, until its deadline."""
    claims = {
        "purpose": RESPOND_PURPOSE,
        "match": match_id,
        "org": organisation_id,
        "exp": expires,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class LinkExpired(Exception):
    """A genuine link whose time is up; `claims` still say which match it named."""

    def __init__(self, claims: dict | None = None):
        super().__init__("the link has expired")
        self.claims = claims or {}


class LinkInvalid(Exception):
    pass


def _read_link(secret: str | Sequence[str], token: str, purpose: str) -> dict:
    """The claims of a link signed with any of `secret` (one key, or several to try in
    turn); LinkExpired for a genuine late one, LinkInvalid for anything else."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    for key in keys[:-1]:
        try:
            return _read_link_with(key, token, purpose)
        except LinkInvalid:
            continue
    return _read_link_with(keys[-1], token, purpose)


def _read_link_with(secret: str, token: str, purpose: str) -> dict:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError as exc:
        # signed by us (the signature was checked first), only late: keep what it names
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False})
        if claims.get("purpose") != purpose or not claims.get("org"):
            raise LinkInvalid() from exc
        raise LinkExpired(claims) from exc
    except jwt.PyJWTError as exc:
        raise LinkInvalid() from exc
    if claims.get("purpose") != purpose or not claims.get("org"):
        raise LinkInvalid()
    return claims


def read_response_link(secret: str | Sequence[str], token: str) -> dict:
    """`{"match": id, "org": id}` from a link token; LinkExpired / LinkInvalid otherwise."""
    claims = _read_link(secret, token, RESPOND_PURPOSE)
    if not claims.get("match"):
        raise LinkInvalid()
    return claims


UNSUBSCRIBE_PURPOSE = "digest-off"


def sign_unsubscribe_link(secret: str, organisation_id: str, expires: datetime) -> str:
    """The token in a digest's List-Unsubscribe link: switch that organisation to single emails."""
    claims = {"purpose": UNSUBSCRIBE_PURPOSE, "org": organisation_id, "exp": expires}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_unsubscribe_link(secret: str | Sequence[str], token: str) -> str:
    """The organisation id of an unsubscribe token; LinkExpired / LinkInvalid otherwise."""
    return _read_link(secret, token, UNSUBSCRIBE_PURPOSE)["org"]
