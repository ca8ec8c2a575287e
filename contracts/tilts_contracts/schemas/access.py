"""People and access: personal tokens, staff accounts and the audit log, as the API
takes and gives them (the registry loads them; the gateway describes them)."""

from marshmallow import fields, validate

from .. import taxonomy
from ..tokens import STAFF_ROLES
from .common import Dumped, Strict, Text


class TokenIn(Strict):
    """A personal API token to make: a name to know it by, and how long it lives
    (at most 90 days for an organisation, 30 for staff; the longest by default)."""

    name = Text(required=True, validate=validate.Length(min=1, max=100))
    days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 90))


class Token(Dumped):
    id = fields.String(metadata={"description": "the token's jti"})
    name = fields.String()
    created_at = fields.String()
    expires_at = fields.String()
    revoked_at = fields.String(allow_none=True)


class TokenMade(Token):
    token = fields.String(metadata={"description": "the bearer token, shown this once"})


class StaffIn(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    domains = fields.List(
        fields.String(validate=validate.OneOf(sorted(taxonomy.DOMAINS))), load_default=list
    )


class Staff(Dumped):
    id = fields.String()
    account = fields.String(metadata={"description": "what `by` says in the audit log"})
    email = fields.String()
    role = fields.String()
    domains = fields.List(fields.String())
    added_by = fields.String()
    added_at = fields.String()


class AuditEntry(Dumped):
    id = fields.String()
    at = fields.String()
    by = fields.String(metadata={"description": "the account that made the change"})
    action = fields.String()
    object_id = fields.String()
    summary = fields.String(metadata={"description": "field names changed, never values"})
    service = fields.String()


class Identity(Dumped):
    """Who a token or session stands for."""

    account = fields.String()
    kind = fields.String()
    role = fields.String()
    organisation_id = fields.String(allow_none=True)
    domains = fields.List(fields.String())
    email = fields.String()
