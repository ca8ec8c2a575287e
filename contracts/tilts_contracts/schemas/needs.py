"""Needs and the matches that meet them."""

from marshmallow import fields, validate

from .. import lifecycles, taxonomy
from .common import Dumped, Strict, Whole, codes, free_text, id_shape, language_list

FILTERS = {
    "domain": taxonomy.DOMAINS,
    "region": taxonomy.REGIONS,  # a need is always somewhere in particular
    "status": lifecycles.NEED_STATUSES,
    "urgency": taxonomy.URGENCIES,
}
MATCH_FILTERS = {
    "status": lifecycles.MATCH_STATUSES,
    "need_id": id_shape("need"),
    "organisation_id": id_shape("org"),
}


class NeedIn(Strict):
    domain = fields.String(required=True, validate=codes(taxonomy.DOMAINS, "domain"))
    title = free_text(200, min_length=2, required=True)
    description = free_text(5000, load_default="", lines=True)
    region = fields.String(required=True, validate=codes(taxonomy.REGIONS, "region"))
    languages = language_list(load_default=list)
    quantity = Whole(required=True, validate=validate.Range(min=1, max=100_000))
    urgency = fields.String(load_default="normal", validate=codes(taxonomy.URGENCIES, "urgency"))
    needed_by = fields.Date(load_default=None, allow_none=True)
    case_ref = free_text(40, load_default="")


class Match(Dumped):
    id = fields.String()
    need_id = fields.String()
    offer_id = fields.String()
    organisation_id = fields.String()
    quantity = fields.Integer()
    score = fields.Float()
    score_breakdown = fields.Dict(keys=fields.String(), values=fields.Float())
    status = fields.String()
    respond_by = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    decline_reason = fields.String(allow_none=True)  # one of DECLINE_REASONS, on a decline
    decline_note = fields.String(allow_none=True)  # what the organisation added to it
    delivered = fields.Integer(allow_none=True)  # how much was given, on a fulfilment


class DeclineIn(Strict):
    """Why an organisation declines (both optional): a reason from the short list, and
    a few words of its own, which the privacy guard reads like any free text."""

    reason = fields.String(
        load_default=None, allow_none=True, validate=codes(lifecycles.DECLINE_REASONS, "reason")
    )
    note = free_text(500, load_default="", lines=True)


class FulfilIn(Strict):
    """How much was delivered when a match is marked fulfilled (all of it if not said)."""

    quantity = Whole(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=100_000)
    )


class Need(Dumped):
    id = fields.String()
    domain = fields.String()
    title = fields.String()
    description = fields.String()
    region = fields.String()
    languages = fields.List(fields.String())
    quantity = fields.Integer()
    urgency = fields.String()
    needed_by = fields.String(allow_none=True)
    case_ref = fields.String()
    posted_by = fields.String()  # the coordinator who posted it (their token's `sub`)
    status = fields.String()
    matches = fields.List(fields.Nested(Match))
    created_at = fields.String()
    updated_at = fields.String()
