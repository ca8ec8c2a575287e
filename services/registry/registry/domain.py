"""Organisations: registration, verification, suspension. Pure: no I/O, no clock."""

import re
import unicodedata
from datetime import datetime

from tilts_contracts import api
from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Invalid

# legal-form words that do not make two organisations different, wherever they stand
# ("valsts" or "aģentūra" name what an institution is, so they stay: "Valsts probācijas
# dienests" is not "Probācijas dienests")
LEGAL_FORMS = {
    "biedriba",
    "biedribas",
    "nodibinajums",
    "nodibinajuma",
    "fonds",
    "fonda",
    "bezpelnas",
    "organizacija",
    "organizacijas",
    "nvo",
    "ngo",
    "ltd",
    "llc",
    "inc",
    "foundation",
}
# short forms that are also ordinary words ("as" in English): only at either end
EDGE_FORMS = {"sia", "as"}
# abbreviations written with a hyphen, which splits them into words of no meaning:
# "b-ba" / "b-bas" (biedrība, biedrības), matched on the folded name
ABBREVIATED_FORMS = re.compile(r"\bb\s?-\s?bas?\b")
QUOTES = "\"'“”„«»‘’`"
# bump when name_key or search_key change: stored keys are recomputed at start-up
KEYS_VERSION = 4


def fold(text: str) -> str:
    """Lower-case, strip diacritics and invisible format characters (a soft hyphen, a
    direction mark pasted with the name): what search and duplicate checks compare."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(
        c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )


def words(text: str) -> list[str]:
    """The folded words of a text, without quotes, punctuation or spacing."""
    return re.findall(r"\w+", fold(text).translate({ord(q): " " for q in QUOTES}))


def name_key(name: str) -> str:
    """The name as a duplicate check sees it: 'Biedrība "Drošā māja"' -> 'drosa maja'."""
    found = words(ABBREVIATED_FORMS.sub(" biedriba ", fold(name)))
    kept = [w for w in found if w not in LEGAL_FORMS]
    while len(kept) > 1 and kept[0] in EDGE_FORMS:
        kept = kept[1:]
    while len(kept) > 1 and kept[-1] in EDGE_FORMS:
        kept = kept[:-1]
    return " ".join(kept) or " ".join(found)


def search_key(name: str) -> str:
    """What a name search compares with: 'Biedrība "Drošā māja"' -> 'biedriba drosa maja'."""
    return " ".join(words(name))


def keys(org: dict) -> dict:
    """The derived keys of a stored organisation, as this version computes them."""
    if org.get("erased"):
        return {"key_version": KEYS_VERSION}
    return {
        "name_key": name_key(org["name"]),
        "search_key": search_key(org["name"]),
        "key_version": KEYS_VERSION,
    }


def _check_name(name: str) -> None:
    if not name_key(name):
        raise Invalid("the name has no letters or digits", {"name": ["needs letters or digits"]})


def register(data: dict, org_id: str, now: datetime) -> dict:
    """A new organisation, pending until a coordinator verifies it."""
    _check_name(data["name"])
    stamp = iso(now)
    return {
        **data,
        "_id": org_id,
        "email": data["email"].strip(),
        "email_key": data["email"].strip().casefold(),
        "name_key": name_key(data["name"]),
        "search_key": search_key(data["name"]),
        "key_version": KEYS_VERSION,
        "status": "pending",
        "created_at": stamp,
        "updated_at": stamp,
        "history": [{"at": stamp, "action": "registered"}],
    }


def refuse_if_erased(org: dict) -> None:
    """An erased organisation is gone for good: nothing brings it back or changes it."""
    if org.get("erased"):
        raise Conflict(f"organisation {org['_id']} was erased", {"status": ["erased"]})


def _transition(org: dict, status: str, allowed: set, by: str, now: datetime, **extra) -> dict:
    refuse_if_erased(org)
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


# fields whose old and new values the audit trail shows; the others (name, contact
# details, free text) may be personal, so the trail names them without their values
SHOWN_IN_HISTORY = ("kind", "domains", "regions", "languages", "preferred_language")


def changed_fields(org: dict, changes: dict) -> dict:
    """The edited fields whose value is not what the organisation has already."""
    return {k: v for k, v in changes.items() if org.get(k) != v}


def update(org: dict, changes: dict, by: str, now: datetime) -> dict:
    """Apply edited fields, keeping the keys that duplicate checks and search use; the
    history says who changed which field, and from what to what where that is not
    personal. An edit that changes nothing returns the organisation as it was."""
    refuse_if_erased(org)
    changes = changed_fields(org, changes)
    if not changes:
        return org
    if "name" in changes:
        _check_name(changes["name"])
    stamp = iso(now)
    updated = {**org, **changes, "updated_at": stamp}
    if "name" in changes:
        updated["name_key"] = name_key(changes["name"])
        updated["search_key"] = search_key(changes["name"])
    if "email" in changes:
        updated["email_key"] = changes["email"].strip().casefold()
    entry = {"at": stamp, "action": "updated", "by": by, "fields": sorted(changes)}
    shown = {k: {"from": org.get(k), "to": v} for k, v in changes.items() if k in SHOWN_IN_HISTORY}
    if shown:
        entry["changes"] = shown
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
        # a suspension's reason is free text a coordinator wrote, and may name a person
        "history": [
            *({**e, "reason": ""} if e.get("reason") else e for e in org.get("history", [])),
            {"at": stamp, "action": "erased", "by": by},
        ],
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
