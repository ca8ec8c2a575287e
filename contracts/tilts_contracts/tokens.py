"""Signed tokens: API bearer tokens and the one-click response links in emails.

Both are HS256 JWTs signed with AUTH_SECRET. notify signs response links and the
gateway reads them, so the format is a contract between the two.
"""

from datetime import datetime, timedelta

import jwt

from .clock import utcnow
from .errors import Invalid, Unauthenticated

ROLES = ("admin", "coordinator", "organisation")
RESPOND_PURPOSE = "respond"


def issue_token(
    secret: str,
    role: str,
    org: str | None = None,
    sub: str | None = None,
    days: float = 30,
    now: datetime | None = None,
) -> str:
    """A bearer token for the HTTP API."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", {"role": [f"one of {', '.join(ROLES)}"]})
    if role == "organisation" and not org:
        raise Invalid("an organisation token names its organisation", {"org": ["required"]})
    now = now or utcnow()
    claims = {"role": role, "sub": sub or role, "iat": now, "exp": now + timedelta(days=days)}
    if org:
        claims["org"] = org
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(secret: str, token: str) -> dict:
    """The claims of a valid bearer token; Unauthenticated if forged, expired or odd."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "role"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("the token is not valid") from exc
    if claims.get("role") not in ROLES or claims.get("purpose"):
        raise Unauthenticated("the token is not an API token")
    if claims["role"] == "organisation" and not claims.get("org"):
        raise Unauthenticated("an organisation token must name its organisation")
    return claims


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


def _read_link(secret: str, token: str, purpose: str) -> dict:
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


def read_response_link(secret: str, token: str) -> dict:
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


def read_unsubscribe_link(secret: str, token: str) -> str:
    """The organisation id of an unsubscribe token; LinkExpired / LinkInvalid otherwise."""
    return _read_link(secret, token, UNSUBSCRIBE_PURPOSE)["org"]
