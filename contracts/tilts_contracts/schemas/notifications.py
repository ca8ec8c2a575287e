"""Notification preferences and coordinators' gap-alert subscriptions (notify)."""

from marshmallow import fields, validate

from .. import lifecycles, taxonomy
from .common import Strict, Text, code_list, id_shape

FILTERS = {
    "status": lifecycles.NOTIFICATION_STATUSES,
    "organisation_id": id_shape("org"),
    "recipient": None,  # free text
    "template": None,
}


class Preferences(Strict):
    delivery = fields.String(required=True, validate=validate.OneOf(lifecycles.DELIVERY_CHOICES))


class Subscription(Strict):
    """A coordinator who wants gap alerts for some domains."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Text(load_default="", validate=validate.Length(max=200))
    language = fields.String(load_default="lv", validate=validate.OneOf(taxonomy.UI_LANGUAGES))
    domains = code_list(taxonomy.DOMAINS, "domain", required=True, metadata={"minItems": 1})
    # gap alerts one by one, or gathered into one email a day
    delivery = fields.String(
        load_default="immediate", validate=validate.OneOf(lifecycles.DELIVERY_CHOICES)
    )
