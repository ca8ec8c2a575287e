"""Offers: the resource wall's entries, as pledged and as shown."""

from marshmallow import ValidationError, fields, validate, validates_schema

from .. import lifecycles, taxonomy
from .common import (
    ID,
    Dumped,
    Strict,
    StrictBoolean,
    Whole,
    code_list,
    codes,
    free_text,
    id_shape,
    language_list,
)

FILTERS = {
    "domain": taxonomy.DOMAINS,
    "region": taxonomy.OFFER_REGIONS,
    "status": lifecycles.OFFER_STATUSES,
    "organisation_id": id_shape("org"),
}


def _check_period(data: dict, start: str, end: str) -> None:
    if data.get(start) and data.get(end) and data[end] < data[start]:
        raise ValidationError(f"{end} is before {start}", field_name=end)


class OfferIn(Strict):
    organisation_id = fields.String(required=True, validate=ID)
    domain = fields.String(required=True, validate=codes(taxonomy.DOMAINS, "domain"))
    title = free_text(200, min_length=2, required=True)
    description = free_text(5000, load_default="", lines=True)
    capacity = Whole(required=True, validate=validate.Range(min=1, max=1_000_000))
    unit = free_text(60, load_default="")
    regions = code_list(taxonomy.OFFER_REGIONS, "region", required=True, min_items=1)
    languages = language_list(load_default=list)
    available_from = fields.Date(load_default=None, allow_none=True)
    available_until = fields.Date(load_default=None, allow_none=True)
    public = StrictBoolean(load_default=True)
    # capacity that comes back each week or month (Riga time); None: a one-off pool
    renews = fields.String(
        load_default=None, allow_none=True, validate=codes(taxonomy.RENEWALS, "renewal")
    )

    @validates_schema
    def period(self, data, **kwargs):
        _check_period(data, "available_from", "available_until")


class OfferEdit(OfferIn):
    """What an offer's owner may change: everything but who owns it."""

    class Meta:
        exclude = ("organisation_id",)


class HeldOffer(Dumped):
    """An offer sent with the questionnaire, waiting for the organisation's verification."""

    domain = fields.String()
    title = fields.String()
    description = fields.String()
    capacity = fields.Integer()
    unit = fields.String()
    regions = fields.List(fields.String())
    languages = fields.List(fields.String())
    available_from = fields.String(allow_none=True)
    available_until = fields.String(allow_none=True)
    public = fields.Boolean()
    renews = fields.String(allow_none=True)


class Offer(HeldOffer):
    """An offer on the wall: what was pledged, and where it stands."""

    id = fields.String()
    organisation_id = fields.String()
    remaining = fields.Integer()
    status = fields.String()
    # the start of the period the capacity last came back for (null: never renewed yet)
    renewed_at = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
