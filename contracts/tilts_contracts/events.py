"""The event envelope and the payload of every event type, shared by producers and consumers.

Every event is `{event_id, type, occurred_at, producer, schema_version, payload}`.
Consumers call `parse()`; anything it rejects is parked, never silently dropped.
"""

import uuid
from datetime import datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from .clock import iso, utcnow

SCHEMA_VERSION = 1


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE  # newer producers may add fields; old consumers ignore them


class OrganisationPayload(_Payload):
    id = fields.String(required=True)
    revision = fields.Integer(load_default=0)
    name = fields.String(required=True)
    kind = fields.String()
    email = fields.String(allow_none=True)
    preferred_language = fields.String(load_default="lv")
    domains = fields.List(fields.String(), load_default=list)
    regions = fields.List(fields.String(), load_default=list)
    languages = fields.List(fields.String(), load_default=list)
    status = fields.String(required=True)
    updated_at = fields.String()
    # offers sent with the questionnaire, waiting for verification (pledges creates them)
    held_offers = fields.List(fields.Dict(), load_default=list)
    source = fields.String(load_default="coordinator")  # coordinator | questionnaire
    erased = fields.Boolean(load_default=False)


class RegistrationRepeatedPayload(_Payload):
    """Someone sent the public questionnaire with the email or name of a registered
    organisation: the public answer does not say so, the registered address is told."""

    id = fields.String(required=True)  # the attempt
    organisation_id = fields.String(required=True)  # the registered organisation
    matched = fields.String(required=True, validate=validate.OneOf(["email", "name"]))
    at = fields.String()


class ChangesRejectedPayload(_Payload):
    """A coordinator did not accept an organisation's own change of name, email or
    website: notify tells its (verified) address. Only the fields' names travel, not
    the values asked for; `reason` is the coordinator's."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    preferred_language = fields.String(load_default="lv")
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields", required=True)
    reason = fields.String(load_default="")
    updated_at = fields.String()


class SigninRequestedPayload(_Payload):
    """A known address asked to sign in: notify mails it the link. The raw token lives
    only here and in the email; the registry keeps its hash."""

    email = fields.String(required=True)
    token = fields.String(required=True)
    language = fields.String(load_default="lv")
    kind = fields.String(load_default="organisation")  # organisation | staff
    expires_at = fields.String(required=True)


class OfferPayload(_Payload):
    id = fields.String(required=True)
    revision = fields.Integer(load_default=0)
    organisation_id = fields.String(required=True)
    domain = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True)
    capacity = fields.Integer(required=True)
    remaining = fields.Integer(required=True)
    unit = fields.String(allow_none=True)
    regions = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), load_default=list)
    available_from = fields.String(allow_none=True)
    available_until = fields.String(allow_none=True)
    public = fields.Boolean(load_default=True)
    status = fields.String(required=True)
    updated_at = fields.String()
    # on offer_updated: the owner forced a cut below what is reserved (?force=true), so
    # the proposals over the new capacity are to be cancelled; otherwise none may be
    forced = fields.Boolean(load_default=False)
    # capacity that renews (weekly | monthly), the start of the period it counts in, and
    # on a renewal's offer_updated the start of the period it renewed for: matches
    # fulfilled before that no longer hold any of it
    renews = fields.String(allow_none=True)
    period_start = fields.String(allow_none=True)
    renewed_at = fields.String(allow_none=True)


class NeedPayload(_Payload):
    id = fields.String(required=True)
    revision = fields.Integer(load_default=0)
    domain = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True)
    region = fields.String(required=True)
    languages = fields.List(fields.String(), load_default=list)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    urgency = fields.String(load_default="normal")
    needed_by = fields.String(allow_none=True)
    case_ref = fields.String(allow_none=True)  # the coordinators' own reference
    posted_by = fields.String(allow_none=True)  # the coordinator's token `sub`: Reply-To
    status = fields.String(required=True)
    updated_at = fields.String()
    # retention forgot description and case_ref then: every copy forgets them too
    text_forgotten_at = fields.String(allow_none=True)


class Contact(_Payload):
    """Who to write to about a match: event-carried, so notify needs no lookup."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True)
    preferred_language = fields.String(load_default="lv")


class MatchPayload(_Payload):
    id = fields.String(required=True)
    revision = fields.Integer(load_default=0)
    need_id = fields.String(required=True)
    offer_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    quantity = fields.Integer(required=True)
    score = fields.Float(required=True)
    score_breakdown = fields.Dict(keys=fields.String(), values=fields.Float())
    status = fields.String(required=True)
    respond_by = fields.String(required=True)
    created_at = fields.String()
    updated_at = fields.String()
    answered_at = fields.String(allow_none=True)  # when the organisation accepted or declined
    delivered = fields.Integer(allow_none=True)  # on match_fulfilled: how much was given
    # what matching holds against the offer (proposed, accepted and fulfilled quantities)
    # when this event was written, ordered by offer_revision: the offer's owner derives
    # remaining = capacity - allocated, right whichever capacity edit it has seen
    offer_allocated = fields.Integer(allow_none=True)
    offer_remaining = fields.Integer(allow_none=True)
    offer_revision = fields.Integer(allow_none=True)
    # the renewal matching had applied to the offer when it counted `offer_allocated`
    offer_renewed_at = fields.String(allow_none=True)
    need = fields.Nested(NeedPayload, allow_none=True)
    offer = fields.Nested(OfferPayload, allow_none=True)
    organisation = fields.Nested(Contact, allow_none=True)


class NeedUnmatchedPayload(_Payload):
    need = fields.Nested(NeedPayload, required=True)
    covered = fields.Integer(required=True)
    reason = fields.String(required=True)


class NotificationPayload(_Payload):
    id = fields.String(required=True)
    recipient = fields.String(required=True)
    template = fields.String(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True)


# event type -> (producing service, payload schema)
EVENTS: dict[str, tuple[str, type[Schema]]] = {
    "organisation_registered": ("registry", OrganisationPayload),
    "organisation_updated": ("registry", OrganisationPayload),
    "organisation_verified": ("registry", OrganisationPayload),
    "organisation_suspended": ("registry", OrganisationPayload),
    "registration_repeated": ("registry", RegistrationRepeatedPayload),
    "organisation_changes_rejected": ("registry", ChangesRejectedPayload),
    "signin_requested": ("registry", SigninRequestedPayload),
    "offer_pledged": ("pledges", OfferPayload),
    "offer_updated": ("pledges", OfferPayload),
    "offer_withdrawn": ("pledges", OfferPayload),
    "need_posted": ("pledges", NeedPayload),
    "need_updated": ("pledges", NeedPayload),
    "need_cancelled": ("pledges", NeedPayload),
    "match_proposed": ("matching", MatchPayload),
    "match_accepted": ("matching", MatchPayload),
    "match_declined": ("matching", MatchPayload),
    "match_expired": ("matching", MatchPayload),
    "match_fulfilled": ("matching", MatchPayload),
    "match_cancelled": ("matching", MatchPayload),
    "need_unmatched": ("matching", NeedUnmatchedPayload),
    "notification_sent": ("notify", NotificationPayload),
    "notification_failed": ("notify", NotificationPayload),
}

# Which services handle each event type (in `on_<type>`). RabbitMQ drops an event no queue
# is bound for, so a producer declares its consumers' queues when it starts (see
# tilts_runtime.dependencies.EventDispatcher): on a first deployment, where every service
# starts at once,
# what registry or pledges publish before matching or notify has ever run waits for them.
_MATCH_EVENT_CONSUMERS = ("notify", "pledges")
CONSUMERS: dict[str, tuple[str, ...]] = {
    "organisation_registered": ("matching", "notify"),
    "organisation_updated": ("matching", "notify", "pledges"),
    "organisation_verified": ("matching", "notify", "pledges"),
    "organisation_suspended": ("matching", "notify"),
    "registration_repeated": ("notify",),
    "organisation_changes_rejected": ("notify",),
    "signin_requested": ("notify",),
    "offer_pledged": ("matching",),
    "offer_updated": ("matching",),
    "offer_withdrawn": ("matching",),
    "need_posted": ("matching",),
    "need_updated": ("matching",),
    "need_cancelled": ("matching",),
    "match_proposed": _MATCH_EVENT_CONSUMERS,
    "match_accepted": _MATCH_EVENT_CONSUMERS,
    "match_declined": _MATCH_EVENT_CONSUMERS,
    "match_expired": _MATCH_EVENT_CONSUMERS,
    "match_cancelled": _MATCH_EVENT_CONSUMERS,
    "match_fulfilled": ("pledges",),
    "need_unmatched": _MATCH_EVENT_CONSUMERS,
}


class Envelope(Schema):
    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(EVENTS)))
    occurred_at = fields.String(required=True)
    producer = fields.String(required=True)
    schema_version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    payload = fields.Dict(required=True)


class MalformedEvent(Exception):
    """An event this consumer cannot read; `reason` says why, for the parking lot."""

    def __init__(self, reason: dict | str):
        super().__init__(reason)
        self.reason = reason


def envelope(
    event_type: str,
    payload: dict,
    now: datetime | None = None,
    event_id: str | None = None,
) -> dict:
    """Wrap `payload` (dumped through the type's schema) in the shared envelope."""
    producer, schema = EVENTS[event_type]
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": iso(now or utcnow()),
        "producer": producer,
        "schema_version": SCHEMA_VERSION,
        "payload": schema().dump(payload),
    }


def parse(message: object, expected_type: str | None = None) -> tuple[dict, dict]:
    """Validate an envelope and its payload; raise MalformedEvent with the reason."""
    if not isinstance(message, dict):
        raise MalformedEvent(f"event is a {type(message).__name__}, not an object")
    try:
        env = Envelope().load(message)
    except ValidationError as exc:
        raise MalformedEvent(exc.messages) from exc
    if expected_type and env["type"] != expected_type:
        raise MalformedEvent(f"expected {expected_type}, got {env['type']}")
    _, schema = EVENTS[env["type"]]
    try:
        payload = schema().load(env["payload"])
    except ValidationError as exc:
        raise MalformedEvent({"payload": exc.messages}) from exc
    env["event_id"] = str(env["event_id"])
    return env, payload
