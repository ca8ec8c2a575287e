"""Who is asking: bearer tokens, roles, and an organisation's own scope."""

from dataclasses import dataclass

from tilts_contracts.errors import Forbidden, Unauthenticated
from tilts_contracts.tokens import read_token

STAFF = ("admin", "coordinator")


@dataclass(frozen=True)
class Caller:
    role: str
    sub: str  # the account id (a personal token, a session) or the operator's subject
    org: str | None = None
    domains: tuple[str, ...] = ()  # a coordinator's working groups; none: all
    email: str | None = None  # a person's address (replies to their needs go there)
    kind: str = "operator"  # personal | session | operator
    jti: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    def require(self, *roles: str) -> "Caller":
        if self.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}", {"role": [self.role]})
        return self

    def require_org_or_staff(self, org_id: str | None) -> "Caller":
        """Staff may act on any organisation; an organisation only on its own."""
        if self.is_staff or (self.role == "organisation" and self.org == org_id):
            return self
        raise Forbidden("an organisation may only see and change its own data")


def caller(request, secret: str) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <token> (see `tilts token`)")
    claims = read_token(secret, token.strip())
    return Caller(
        role=claims["role"], sub=str(claims.get("sub", claims["role"])), org=claims.get("org")
    )
