"""What coordinators and organisations send notify: preferences and subscriptions."""

from marshmallow import fields, validate

from tilts_contracts import taxonomy
from tilts_contracts.api import Strict, code_list


class Preferences(Strict):
    delivery = fields.String(required=True, validate=validate.OneOf(["immediate", "digest"]))


class Subscription(Strict):
    """A coordinator who wants gap alerts for some domains."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    language = fields.String(load_default="lv", validate=validate.OneOf(taxonomy.UI_LANGUAGES))
    domains = code_list(taxonomy.DOMAINS, "domain", required=True)
