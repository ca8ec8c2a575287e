"""Personal API tokens: make (shown once), list one's own, revoke.

The registry keeps each token's record (so it can be revoked, and refused once its
account can no longer act); the gateway signs the token itself with AUTH_SECRET.
From a page, the session cookie stands for the caller; a script sends the CSRF token
in X-CSRF-Token to make or revoke with a session.
"""

import re

from werkzeug.wrappers import Response

from tilts_contracts.clock import parse_iso
from tilts_contracts.errors import Forbidden
from tilts_contracts.schemas import access as schemas
from tilts_contracts.schemas.common import load
from tilts_contracts.tokens import issue_personal_token

from .auth import Caller
from .base import Routes
from .http import json_response, read_json
from .listing import Listing, paged
from .routing import ANYONE, page_of, tagged

route = tagged("access")
TOKENS = Listing({}, re.compile(r"tok_[0-9a-f]{12,40}"))


def issue(routes, account: str, name: object, days: object) -> dict:
    """A new personal token of `account`: its record and the signed token, once."""
    made = routes._rpc("registry", "make_token", account, name, days)
    identity = made.pop("identity")
    token = issue_personal_token(
        routes.config.secret,
        identity,
        made["id"],
        routes.config.public_url,
        parse_iso(made["expires_at"]),
    )
    return {**made, "token": token}


def _owner(request) -> Caller:
    """The caller, who must be a person: the operator's token holds no personal tokens."""
    who = request.caller
    if who.kind == "operator":
        raise Forbidden("the operator's token holds no personal tokens; sign in instead")
    return who


class TokenRoutes(Routes):
    @route(
        "POST",
        "/api/tokens",
        who=ANYONE,
        body=schemas.TokenIn,
        answer=schemas.TokenMade,
        status=201,
    )
    def make_token(self, request):
        """A personal token, shown once: at most 90 days for an organisation, 30 for
        staff. Signed in (the session cookie, with X-CSRF-Token) or with a token."""
        who = _owner(request)
        data = load(schemas.TokenIn(), read_json(request))
        return json_response(issue(self, who.sub, data["name"], data.get("days")), 201)

    @route("GET", "/api/tokens", who=ANYONE, answer=page_of(schemas.Token), listing=TOKENS)
    def list_tokens(self, request):
        """One's own personal tokens (never the tokens themselves)."""
        _, limit, cursor = TOKENS.read(request)
        mine = self._rpc("registry", "list_tokens", _owner(request).sub)["items"]
        return json_response(paged(mine, limit, cursor))

    @route("DELETE", "/api/tokens/<token_id>", who=ANYONE, status=204)
    def revoke_token(self, request, token_id):
        """Revoke one of one's own tokens: refused everywhere within 60 s."""
        self._rpc("registry", "revoke_token", _owner(request).sub, token_id[:100])
        self.access.forget(("token", token_id[:100]))
        return Response(status=204)
