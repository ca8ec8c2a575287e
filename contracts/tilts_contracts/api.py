"""Wire shapes of the HTTP/RPC resources: what callers send and what they get back.

The owning service loads input through these schemas (the one place its rules live);
the gateway uses the same classes to describe the API in OpenAPI.
"""

import unicodedata
from datetime import date

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from . import taxonomy
from .errors import Invalid

ID = validate.Regexp(r"^[a-z]{2,5}_[0-9a-f]{12,40}$", error="not a valid id")


def codes(table, what: str) -> validate.OneOf:
    return validate.OneOf(sorted(table), error=f"unknown {what} {{input}}")


def code_list(table, what: str, required=False, min_items=0, **kw) -> fields.List:
    return fields.List(
        fields.String(validate=codes(table, what)),
        required=required,
        validate=validate.Length(min=min_items, max=len(table)),
        **kw,
    )


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Dumped(Schema):
    class Meta:
        unknown = EXCLUDE


def load(schema: Schema, data: object, partial: bool = False) -> dict:
    """Load `data` or raise Invalid whose details name every bad field."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_schema": ["expected an object"]})
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        fields_named = ", ".join(sorted(map(str, exc.messages)))
        raise Invalid(f"invalid fields: {fields_named}", exc.messages) from exc


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "true" is refused, not guessed at."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# format characters ordinary text carries: joiners that Persian, Indic scripts and emoji
# need, the direction marks pasted Arabic or mixed-direction text holds (LRM, RLM, the
# Arabic letter mark; each only sets the direction of a neutral next to it) and the soft
# hyphen. Every other one (bidi overrides, embeddings and isolates, zero-width spaces,
# BOMs) only hides or reorders what a text says
ALLOWED_FORMAT = {"\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u00ad"}
LINE_BREAKS = {"\n", "\r", "\t"}
BAD = ("Cc", "Cf", "Cs")
ONE_LINE_BAD = (*BAD, "Zl", "Zp")  # U+2028, U+2029


class Text(fields.String):
    """A string with no control or invisible formatting characters (a NUL, an RTL
    override); `strip` trims the ends, `lines` allows line breaks and tabs. Without
    `lines`, the Unicode line and paragraph separators are refused too: a title goes
    into an email's Subject, which is one line."""

    def __init__(self, *args, strip: bool = True, lines: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.strip, self.lines = strip, lines

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        allowed = ALLOWED_FORMAT | (LINE_BREAKS if self.lines else set())
        bad = sorted(
            {
                f"U+{ord(c):04X}"
                for c in text
                if unicodedata.category(c) in (BAD if self.lines else ONE_LINE_BAD)
                and c not in allowed
            }
        )
        if bad:
            raise ValidationError(
                f"contains control or invisible characters ({', '.join(bad[:5])})"
            )
        return text.strip() if self.strip else text


# -- organisations -------------------------------------------------------------
class OrganisationIn(Strict):
    name = Text(
        required=True,
        validate=[
            validate.Length(min=2, max=200),
            validate.Regexp(r".*?\w", error="needs letters or digits"),
        ],
    )
    kind = fields.String(load_default="ngo", validate=codes(taxonomy.ORGANISATION_KINDS, "kind"))
    description = Text(load_default="", lines=True, validate=validate.Length(max=5000))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = Text(load_default="", validate=validate.Length(max=40))
    website = fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=500))
    domains = code_list(taxonomy.DOMAINS, "domain", load_default=list)
    regions = code_list(taxonomy.OFFER_REGIONS, "region", load_default=list)
    languages = fields.List(
        fields.String(
            validate=validate.OneOf(sorted(taxonomy.LANGUAGES), error="unknown language {input}")
        ),
        load_default=list,
        validate=validate.Length(max=30),
    )
    preferred_language = fields.String(
        load_default="lv", validate=validate.OneOf(taxonomy.UI_LANGUAGES)
    )

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
    status = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


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


class QuestionnaireReceipt(Schema):
    """The public answer to a questionnaire: the same whatever the directory holds."""

    status = fields.String()
    held_offers = fields.Integer()
    message = fields.Dict(keys=fields.String(), values=fields.String())


# -- offers --------------------------------------------------------------------
def _check_period(data: dict, start: str, end: str) -> None:
    if data.get(start) and data.get(end) and data[end] < data[start]:
        raise ValidationError(f"{end} is before {start}", field_name=end)


class OfferIn(Strict):
    organisation_id = fields.String(required=True, validate=ID)
    domain = fields.String(required=True, validate=codes(taxonomy.DOMAINS, "domain"))
    title = Text(required=True, validate=validate.Length(min=2, max=200))
    description = Text(load_default="", lines=True, validate=validate.Length(max=5000))
    capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=1_000_000)
    )
    unit = Text(load_default="", validate=validate.Length(max=60))
    regions = code_list(taxonomy.OFFER_REGIONS, "region", required=True, min_items=1)
    languages = fields.List(
        fields.String(
            validate=validate.OneOf(sorted(taxonomy.LANGUAGES), error="unknown language {input}")
        ),
        load_default=list,
        validate=validate.Length(max=30),
    )
    available_from = fields.Date(load_default=None, allow_none=True)
    available_until = fields.Date(load_default=None, allow_none=True)
    public = StrictBoolean(load_default=True)

    @validates_schema
    def period(self, data, **kwargs):
        _check_period(data, "available_from", "available_until")


class OfferEdit(OfferIn):
    """What an offer's owner may change: everything but who owns it."""

    class Meta:
        exclude = ("organisation_id",)


class QuestionnaireIn(OrganisationIn):
    """The public questionnaire: an organisation and the offers it can make."""

    offers = fields.List(
        fields.Nested(OfferEdit), load_default=list, validate=validate.Length(max=50)
    )


class Offer(HeldOffer):
    """An offer on the wall: what was pledged, and where it stands."""

    id = fields.String()
    organisation_id = fields.String()
    remaining = fields.Integer()
    status = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


# -- needs ---------------------------------------------------------------------
class NeedIn(Strict):
    domain = fields.String(required=True, validate=codes(taxonomy.DOMAINS, "domain"))
    title = Text(required=True, validate=validate.Length(min=2, max=200))
    description = Text(load_default="", lines=True, validate=validate.Length(max=5000))
    region = fields.String(required=True, validate=codes(taxonomy.REGIONS, "region"))
    languages = fields.List(
        fields.String(
            validate=validate.OneOf(sorted(taxonomy.LANGUAGES), error="unknown language {input}")
        ),
        load_default=list,
        validate=validate.Length(max=30),
    )
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=100_000)
    )
    urgency = fields.String(load_default="normal", validate=codes(taxonomy.URGENCIES, "urgency"))
    needed_by = fields.Date(load_default=None, allow_none=True)
    case_ref = Text(load_default="", validate=validate.Length(max=40))


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


def iso_dates(data: dict) -> dict:
    """Loaded dates back to `YYYY-MM-DD` strings, the stored and wire form."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}


def present(schema: type[Schema], doc: dict) -> dict:
    """A stored document as its public resource: `_id` becomes `id`, internals dropped."""
    return schema().dump({**doc, "id": doc["_id"]})


def page(schema: type[Schema], docs: list[dict], next_cursor: str | None) -> dict:
    """The list shape every endpoint answers: `{"items": [...], "next": cursor}`."""
    return {"items": [present(schema, d) for d in docs], "next": next_cursor}


MAX_LIMIT = 500


def clamp_limit(limit: object) -> int:
    try:
        value = int(limit)
    except (TypeError, ValueError):
        return 50
    return max(1, min(MAX_LIMIT, value))


# -- notification preferences and gap-alert subscriptions (notify) -------------------
class Preferences(Strict):
    delivery = fields.String(required=True, validate=validate.OneOf(["immediate", "digest"]))


class Subscription(Strict):
    """A coordinator who wants gap alerts for some domains."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Text(load_default="", validate=validate.Length(max=200))
    language = fields.String(load_default="lv", validate=validate.OneOf(taxonomy.UI_LANGUAGES))
    domains = code_list(taxonomy.DOMAINS, "domain", required=True)
    # gap alerts one by one, or gathered into one email a day
    delivery = fields.String(
        load_default="immediate", validate=validate.OneOf(["immediate", "digest"])
    )
