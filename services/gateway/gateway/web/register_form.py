"""The /register form read as the questionnaire the registry takes, and the registry's
refusal put back beside the form's fields. The registry validates (one validator for
the page and the API); this only turns text boxes into the questionnaire's types.

Each rendered form carries a signed `form_id`: the organisation's id follows from it
and from what was typed, so a second click or a reload sends the same registration
again (the registry keeps the first) while a changed one is a new registration.
"""

import hashlib
import hmac
import json
import re
import time

from tilts_contracts.clock import new_id

MAX_BLOCKS = 10  # offer blocks on the page; more are added after signing in
ORG_TEXT = ("name", "kind", "email", "phone", "website", "description", "preferred_language")
ORG_LISTS = ("domains", "regions", "languages")
OFFER_TEXT = (
    "domain",
    "title",
    "description",
    "capacity",
    "unit",
    "renews",
    "available_from",
    "available_until",
)
OFFER_LISTS = ("regions", "languages")
# what a person writes into an offer: a block with none of them was left empty
OFFER_TYPED = ("title", "description", "capacity", "unit")
HONEYPOT = "homepage"  # hidden from people; simple bots fill every field
FORM_ID = re.compile(r"org_[0-9a-f]{24}")
FORM_DAYS = 1  # a form_id older than this starts a new registration
WHOLE = re.compile(r"-?[0-9]{1,9}")


def offer_field(block: int, name: str) -> str:
    return f"offers-{block}-{name}"


def blocks(form) -> int:
    """How many offer blocks the page shows (1 to MAX_BLOCKS)."""
    text = str(form.get("blocks", "1"))
    return max(1, min(MAX_BLOCKS, int(text) if text.isdigit() and len(text) < 4 else 1))


def _text(form, name: str) -> str | None:
    value = form.get(name, "")
    return value if value.strip() else None


def _offer(form, block: int) -> dict | None:
    typed = {k: _text(form, offer_field(block, k)) for k in OFFER_TEXT}
    if not any(typed[k] for k in OFFER_TYPED):
        return None
    offer = {k: v for k, v in typed.items() if v is not None}
    if "capacity" in offer and WHOLE.fullmatch(offer["capacity"].strip()):
        offer["capacity"] = int(offer["capacity"])  # else the registry names it
    for k in OFFER_LISTS:
        offer[k] = form.getlist(offer_field(block, k))
    return offer


def questionnaire(form) -> tuple[dict, list[int]]:
    """The questionnaire typed into `form`, and the block each of its offers came from."""
    data = {k: v for k in ORG_TEXT if (v := _text(form, k)) is not None}
    data.update({k: form.getlist(k) for k in ORG_LISTS})
    offers, placed = [], []
    for block in range(blocks(form)):
        offer = _offer(form, block)
        if offer is not None:
            offers.append(offer)
            placed.append(block)
    return {**data, "offers": offers}, placed


def _messages(value) -> list[str]:
    """Every message in a marshmallow error value (a list, or a dict by list position)."""
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def _offer_problems(value: dict, placed: list[int]):
    """(form field, what, messages) of each offer's problems, by the block it came from."""
    for position, problems in value.items():
        index = int(position) if str(position).isdigit() else -1
        block = placed[index] if 0 <= index < len(placed) else 0
        for name, messages in (problems if isinstance(problems, dict) else {}).items():
            if name in OFFER_TEXT + OFFER_LISTS:
                yield offer_field(block, name), f"offer:{name}", _messages(messages)
            else:
                yield "_form", "_form", _messages(messages)


def beside_fields(details: dict, placed: list[int]) -> dict[str, tuple[str, list[str]]]:
    """`{form field: (what, messages)}` of an Invalid's details; `what` names the schema
    field (`name`, `offer:capacity`). What no field shows goes under `_form`."""
    found: dict[str, tuple[str, list[str]]] = {}

    def add(field: str, what: str, messages: list[str]) -> None:
        found[field] = (what, found.get(field, (what, []))[1] + messages)

    for key, value in details.items():
        if key == "offers" and isinstance(value, dict):
            for problem in _offer_problems(value, placed):
                add(*problem)
        elif key in ORG_TEXT + ORG_LISTS:
            add(key, key, _messages(value))
        else:
            add("_form", "_form", _messages(value))
    return found


def sign(key: str, form_id: str) -> str:
    return hmac.new(key.encode(), f"register:{form_id}".encode(), hashlib.sha256).hexdigest()[:32]


def fresh(key: str) -> dict:
    """The hidden fields of a new form."""
    form_id = new_id("org")
    return {"form_id": form_id, "form_sig": sign(key, form_id)}


def signed(key: str, form_id: object, sig: object) -> bool:
    """Whether `form_id` is one this gateway gave out, within FORM_DAYS."""
    if not isinstance(form_id, str) or not FORM_ID.fullmatch(form_id):
        return False
    if not isinstance(sig, str) or not hmac.compare_digest(sig, sign(key, form_id)):
        return False
    age_ms = time.time_ns() // 1_000_000 - int(form_id[4:16], 16)
    return 0 <= age_ms < FORM_DAYS * 86_400_000


def organisation_id(key: str, form, data: dict) -> str:
    """The id this registration is sent with: from the form's id and what was typed
    (the same again for the same, in the id's time order), or a new one."""
    form_id = form.get("form_id", "")
    if not signed(key, form_id, form.get("form_sig", "")):
        return new_id("org")
    typed = json.dumps(data, sort_keys=True, ensure_ascii=False)
    digest = hmac.new(key.encode(), f"{form_id}:{typed}".encode(), hashlib.sha256).hexdigest()
    return f"org_{form_id[4:16]}{digest[:12]}"
