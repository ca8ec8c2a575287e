"""What every resource schema shares: field types, loading with one error naming every
bad field, and the list shape `{"items": [...], "next": cursor}`."""

import functools
import re
import sys
import unicodedata
from datetime import date

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from .. import privacy, taxonomy
from ..errors import Invalid

ID = validate.Regexp(r"^[a-z]{2,5}_[0-9a-f]{12,40}$", error="not a valid id")


def codes(table, what: str) -> validate.OneOf:
    return validate.OneOf(sorted(table), error=f"unknown {what} {{input}}")


def id_shape(prefix: str) -> re.Pattern:
    """The shape of an id this API gives out, such as `need_<hex>`: what an id filter
    (`?need_id=`) must look like, and the cursor of a list in id order."""
    return re.compile(rf"{prefix}_[0-9a-f]{{12,40}}")


def language_list(**kw) -> fields.List:
    """ISO 639-1 codes, each once (at most 30)."""
    return fields.List(
        fields.String(
            validate=validate.OneOf(sorted(taxonomy.LANGUAGES), error="unknown language {input}")
        ),
        validate=validate.Length(max=30),
        **kw,
    )


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


class Whole(fields.Integer):
    """A JSON number with no fraction: 3, or 3.0 as some clients write it; "3", 3.5 and
    true are refused."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


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
    into an email's Subject, which is one line.

    Text longer than its Length allows is refused before anything else reads it, so no
    check (the privacy guard among them) ever works through a megabyte of it."""

    def __init__(self, *args, strip: bool = True, lines: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.strip, self.lines = strip, lines
        self.longest = min(
            (v for v in self.validators if isinstance(v, validate.Length) and v.max),
            key=lambda v: v.max,
            default=None,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.strip:  # first, so a megabyte of spaces around a word is not read twice
            text = text.strip()
        if self.longest is not None and len(text) > self.longest.max:
            self.longest(text)  # raises its own "Longer than maximum length" error
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
        return text


@functools.cache
def text_pattern(lines: bool) -> str:
    """The rule `Text` keeps, as the JSON Schema pattern the API description gives it:
    any character but the refused ones (surrogates, which JSON text cannot carry
    alone, left out)."""
    refused = BAD[:2] if lines else (*BAD[:2], "Zl", "Zp")
    allowed = ALLOWED_FORMAT | (LINE_BREAKS if lines else set())
    bad = [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if unicodedata.category(c) in refused and c not in allowed
    ]
    runs: list[list[str]] = []
    for c in bad:
        if runs and ord(c) == ord(runs[-1][1]) + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "^[^" + "".join(a if a == b else f"{a}-{b}" for a, b in runs) + "]*$"


def free_text(max_length: int, min_length: int = 0, advice: str = privacy.ABOUT_PEOPLE, **kw):
    """Text a person writes freely, refused when it holds personal data: the privacy
    guard reads it only once it fits `max_length` (Text refuses anything longer first)."""
    length = validate.Length(min=min_length or None, max=max_length)
    return Text(validate=[length, privacy.Guard(advice)], **kw)


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
