"""Organisations: registration, verification, suspension. Pure: no I/O, no clock."""

import re
import unicodedata
from datetime import datetime

from tilts_contracts import api
from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Invalid

# legal-form words that do not make two organisations different
LEGAL_FORMS = {
    "biedriba",
    "nodibinajums",
    "sia",
    "as",
    "fonds",
    "bezpelnas",
    "organizacija",
    "valsts",
    "agentura",
    "ltd",
    "llc",
    "inc",
    "ngo",
    "association",
}
QUOTES = "\"'“”„«»‘’`"


def fold(text: str) -> str:
    """Lower-case, strip diacritics: what search and duplicate checks compare."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(name: str) -> str:
    """The name as a duplicate check sees it: 'Biedrība "Drošā māja"' -> 'drosa maja'."""
    text = fold(name).translate({ord(q): " " for q in QUOTES})
    words = re.findall(r"\w+", text)
    return " ".join(w for w in words if w not in LEGAL_FORMS) or " ".join(words)


def register(data: dict, org_id: str, now: datetime) -> dict:
    """A new organisation, pending until a coordinator verifies it."""
    stamp = iso(now)
    return {
        **data,
        "_id": org_id,
        "email": data["email"].strip(),
        "email_key": data["email"].strip().casefold(),
        "name_key": name_key(data["name"]),
        "search_key": fold(data["name"]),
        "status": "pending",
        "created_at": stamp,
        "updated_at": stamp,
        "history": [{"at": stamp, "action": "registered"}],
    }


def _transition(org: dict, status: str, allowed: set, by: str, now: datetime, **extra) -> dict:
    if org["status"] not in allowed:
        raise Conflict(
            f"organisation {org['_id']} is {org['status']}",
            {"status": [f"cannot become {status} from {org['status']}"]},
        )
    stamp = iso(now)
    entry = {"at": stamp, "action": status, "by": by, **extra}
    return {
        **org,
        "status": status,
        "updated_at": stamp,
        "history": [*org.get("history", []), entry],
    }


def verify(org: dict, by: str, now: datetime) -> dict:
    """Mark an organisation verified: its offers become matchable."""
    return _transition(org, "verified", {"pending", "suspended"}, by, now)


def suspend(org: dict, by: str, now: datetime, reason: str = "") -> dict:
    """Stop matching from proposing anything of this organisation."""
    return _transition(org, "suspended", {"pending", "verified"}, by, now, reason=reason)


def update(org: dict, changes: dict, by: str, now: datetime) -> dict:
    """Apply edited fields, keeping the keys that duplicate checks and search use."""
    stamp = iso(now)
    updated = {**org, **changes, "updated_at": stamp}
    if "name" in changes:
        updated["name_key"] = name_key(changes["name"])
        updated["search_key"] = fold(changes["name"])
    if "email" in changes:
        updated["email_key"] = changes["email"].strip().casefold()
    entry = {"at": stamp, "action": "updated", "by": by, "fields": sorted(changes)}
    updated["history"] = [*org.get("history", []), entry]
    return updated


ANONYMOUS = "Anonymous organisation"


def erase(org: dict, by: str, now: datetime) -> dict:
    """Anonymise an organisation: name, contact and free-text fields go (any of them may
    name a person); its id, status, domains and history stay, so offers it made still
    count in the commitment document as an anonymous organisation's."""
    stamp = iso(now)
    return {
        **org,
        "name": ANONYMOUS,
        "email": None,
        "phone": None,
        "website": None,
        "description": "",
        "held_offers": [],
        "name_key": f"erased:{org['_id']}",
        "email_key": f"erased:{org['_id']}",
        "search_key": "",
        "erased": True,
        "erased_at": stamp,
        "updated_at": stamp,
        "history": [*org.get("history", []), {"at": stamp, "action": "erased", "by": by}],
    }


def held_offer_problems(offers: list) -> dict:
    """Errors of each offer in a questionnaire, keyed by its position."""
    problems = {}
    for i, offer in enumerate(offers):
        try:
            api.load(api.OfferEdit(), offer)
        except Invalid as exc:
            problems[str(i)] = exc.details
    return problems
