"""What the /org forms send, turned into what the services take, and their refusals
turned into words beside each field. Pure: no RPC, no request object beyond a form."""

from tilts_contracts import taxonomy
from tilts_contracts.errors import Invalid

PROFILE_TEXT = ("name", "email", "phone", "website", "description", "preferred_language")
PROFILE_LISTS = ("domains", "regions")
OFFER_TEXT = ("domain", "title", "description", "unit", "renews")
OFFER_DATES = ("available_from", "available_until")
# details that are not words for the form: a duplicate's holder is for staff only
NOT_SHOWN = ("existing_id",)


def _codes(text: str) -> list[str]:
    """ "de, pl" -> ["de", "pl"]: the other languages field."""
    return [c.strip().lower() for c in text.replace(";", ",").split(",") if c.strip()]


def languages(form) -> list[str]:
    """The languages ticked, then those typed as codes (each once)."""
    typed = _codes(form.get("other_languages", "")[:200])
    return list(dict.fromkeys([*form.getlist("languages"), *typed]))


def profile_changes(form) -> dict:
    """A profile form as a PATCH of the organisation (every field of the form is sent:
    an unticked box list is an empty list)."""
    changes = {k: form.get(k, "").strip() for k in PROFILE_TEXT}
    changes["website"] = changes["website"] or None
    for key in PROFILE_LISTS:
        changes[key] = form.getlist(key)
    changes["languages"] = languages(form)
    return changes


def profile_typed(org: dict) -> dict:
    """The organisation as the profile form shows it; a change waiting for review is
    what its field shows (the organisation asked for it)."""
    shown = {**org, **(org.get("pending_changes") or {})}
    typed = {k: shown.get(k) or "" for k in PROFILE_TEXT}
    typed["other_languages"] = ", ".join(
        c for c in org.get("languages") or [] if c not in taxonomy.LANGUAGE_NAMES
    )
    return typed


def whole(text: str) -> int | str:
    """A number field: its integer, or the text as typed (the schema names it wrong)."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else text


def offer_fields(form, org_id: str) -> dict:
    """A new offer from the form."""
    data = {k: form.get(k, "").strip() for k in OFFER_TEXT}
    data["renews"] = data["renews"] or None
    data["capacity"] = whole(form.get("capacity", ""))
    data["regions"] = form.getlist("regions")
    data["languages"] = languages(form)
    data["public"] = form.get("public") == "yes"
    for key in OFFER_DATES:
        data[key] = form.get(key, "").strip() or None
    return {**data, "organisation_id": org_id}


def offer_changes(form) -> dict:
    """The edit form's capacity, dates and regions."""
    changes = {"capacity": whole(form.get("capacity", "")), "regions": form.getlist("regions")}
    for key in OFFER_DATES:
        changes[key] = form.get(key, "").strip() or None
    return changes


def offer_typed(offer: dict) -> dict:
    return {k: "" if offer.get(k) is None else str(offer[k]) for k in ("capacity", *OFFER_DATES)}


def _messages(value) -> list[str]:
    """Every message in a detail: a list of them, or a dict of them by position."""
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def field_errors(exc: Invalid, words: dict, fields: tuple[str, ...]) -> dict:
    """{field: [message]} for the form: a field the form does not have is named on the
    first one (nothing is refused without a word beside a field)."""
    errors: dict[str, list[str]] = {}
    for key, value in (exc.details or {"_": [exc.message]}).items():
        if key in NOT_SHOWN:
            continue
        field = key if key in fields else fields[0]
        errors.setdefault(field, []).extend(
            f"{words['check_field']} {m}" for m in _messages(value)[:3]
        )
    return errors
