"""Organisations: what the registry takes and gives, and what staff see of one."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from .. import lifecycles, taxonomy
from .common import Dumped, Strict, Text, code_list, codes, free_text, language_list
from .offers import HeldOffer, OfferEdit

FILTERS = {
    "domain": taxonomy.DOMAINS,
    "region": taxonomy.OFFER_REGIONS,
    "status": lifecycles.ORGANISATION_STATUSES,
    # "true": only those whose own change of name, email or website waits for review
    "pending_changes": ("true", "false"),
}


MAX_CONTACTS = 5
# what an organisation says of itself on its profile page and in the directory's CSV:
# OrganisationIn's fields but its kind and the addresses that sign in for it
PROFILE_FIELDS = (
    "name",
    "email",
    "phone",
    "website",
    "description",
    "domains",
    "regions",
    "languages",
    "preferred_language",
)
OWN_CONTACTS = "describe the organisation's work; its own contacts go in email, phone and website"


class OrganisationIn(Strict):
    name = Text(
        required=True,
        validate=[
            validate.Length(min=2, max=200),
            validate.Regexp(r".*?\w", error="needs letters or digits"),
        ],
    )
    kind = fields.String(load_default="ngo", validate=codes(taxonomy.ORGANISATION_KINDS, "kind"))
    # public on the directory and in exports: nobody's personal data, the organisation's
    # own contact details included (they have their fields)
    description = free_text(5000, load_default="", lines=True, advice=OWN_CONTACTS)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = Text(load_default="", validate=validate.Length(max=40))
    website = fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=500))
    domains = code_list(taxonomy.DOMAINS, "domain", load_default=list)
    regions = code_list(taxonomy.OFFER_REGIONS, "region", load_default=list)
    languages = language_list(load_default=list)
    preferred_language = fields.String(
        load_default="lv", validate=validate.OneOf(taxonomy.UI_LANGUAGES)
    )
    # more addresses that sign in for the organisation (its `email` always does)
    contacts = fields.List(
        fields.Email(validate=validate.Length(max=254)),
        load_default=list,
        validate=validate.Length(max=MAX_CONTACTS),
        metadata={"uniqueItems": True},
    )

    @validates("contacts")
    def no_repeated_contact(self, value, **kwargs):
        keys = [c.strip().casefold() for c in value]
        if len(set(keys)) != len(keys):
            raise ValidationError("each address once")

    @post_load
    def once_each(self, data, **kwargs):
        """A domain, region or language named twice counts once."""
        for key in ("domains", "regions", "languages"):
            if isinstance(data.get(key), list):
                data[key] = list(dict.fromkeys(data[key]))
        return data


class SuspendIn(Strict):
    """Why an organisation is suspended: shown in its history."""

    reason = Text(load_default="", lines=True, validate=validate.Length(max=500))


class RejectChangesIn(Strict):
    """Why an organisation's held change is not accepted: emailed to it, and kept in
    its history."""

    reason = Text(load_default="", lines=True, validate=validate.Length(max=500))


class Organisation(Dumped):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    description = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    domains = fields.List(fields.String())
    regions = fields.List(fields.String())
    languages = fields.List(fields.String())
    preferred_language = fields.String()
    contacts = fields.List(fields.String(), dump_default=list)
    # a verified organisation's own change of name, email or website, waiting for a
    # coordinator to verify it (the fields above stay the verified values until then)
    pending_changes = fields.Dict(keys=fields.String(), dump_default=dict)
    status = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class HistoryEntry(Dumped):
    """One line of the audit trail: what happened, when, and who did it."""

    at = fields.String()
    action = fields.String()
    by = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    changes = fields.Dict()
    reason = fields.String()


class OrganisationDetail(Organisation):
    """What staff see of one organisation: the resource, the offers it sent with the
    questionnaire (until verification makes them offers) and the audit trail."""

    source = fields.String()
    held_offers = fields.List(fields.Nested(HeldOffer))
    history = fields.List(fields.Nested(HistoryEntry))


class QuestionnaireIn(OrganisationIn):
    """The public questionnaire: an organisation and the offers it can make."""

    offers = fields.List(
        fields.Nested(OfferEdit), load_default=list, validate=validate.Length(max=50)
    )


class QuestionnaireReceipt(Schema):
    """The public answer to a questionnaire: the same whatever the directory holds."""

    status = fields.String()
    held_offers = fields.Integer()
    message = fields.Dict(keys=fields.String(), values=fields.String())
