"""Organisations: registration, verification, suspension. Pure: no I/O, no clock."""

import re
import unicodedata
from datetime import datetime

from tilts_contracts import taxonomy
from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.schemas.common import load
from tilts_contracts.schemas.offers import OfferEdit
from tilts_contracts.schemas.organisations import MAX_CONTACTS
from tilts_runtime.store import AUDIT, OUTBOX

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
        "contact_keys": contact_keys(data.get("contacts")),
        "name_key": name_key(data["name"]),
        "search_key": search_key(data["name"]),
        "key_version": KEYS_VERSION,
        "status": "pending",
        "created_at": stamp,
        "updated_at": stamp,
        "history": [{"at": stamp, "action": "registered"}],
    }


def contact_keys(contacts: list | None) -> list[str]:
    """The contacts as sign-in compares them (the list itself keeps what was typed)."""
    return [c.strip().casefold() for c in contacts or []]


def edited_contacts(contacts: list, add: str = "", remove: str = "") -> list:
    """The contact list with one address added or removed, as sign-in compares them
    (added twice: once); a full list takes no more (Invalid naming `contacts`)."""
    keys = contact_keys(contacts)
    if remove:
        return [c for c, k in zip(contacts, keys, strict=True) if k != remove.strip().casefold()]
    if not add or add.strip().casefold() in keys:
        return list(contacts)
    if len(contacts) >= MAX_CONTACTS:
        raise Invalid(f"at most {MAX_CONTACTS} contacts", {"contacts": ["full"]})
    return [*contacts, add.strip()]


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
    """Mark an organisation verified: its offers become matchable. A verified one that
    asked to change its name, email or website is verified again with the change."""
    refuse_if_erased(org)
    pending = org.get("pending_changes") or {}
    if org["status"] == "verified" and pending:
        stamp = iso(now)
        entry = {"at": stamp, "action": "verified", "by": by, "fields": sorted(pending)}
        org = {**org, "updated_at": stamp, "history": [*org.get("history", []), entry]}
    else:
        org = _transition(org, "verified", {"pending", "suspended"}, by, now)
    if not pending:
        return org
    return {**update(org, pending, by, now), "pending_changes": {}}


def suspend(org: dict, by: str, now: datetime, reason: str = "") -> dict:
    """Stop matching from proposing anything of this organisation."""
    return _transition(org, "suspended", {"pending", "verified"}, by, now, reason=reason)


# fields whose old and new values the audit trail shows; the others (name, contact
# details, free text) may be personal, so the trail names them without their values
SHOWN_IN_HISTORY = ("kind", "domains", "regions", "languages", "preferred_language")


def changed_fields(org: dict, changes: dict) -> dict:
    """The edited fields whose value is not what the organisation has already."""
    return {k: v for k, v in changes.items() if org.get(k) != v}


# what the public sees of a verified organisation and trusts it by: a change of these
# by the organisation itself waits for a coordinator (verify applies it)
REVIEWED_FIELDS = ("name", "email", "website")


def update(org: dict, changes: dict, by: str, now: datetime, review: bool = False) -> dict:
    """Apply edited fields, keeping the keys that duplicate checks and search use; the
    history says who changed which field, and from what to what where that is not
    personal. An edit that changes nothing returns the organisation as it was. With
    `review` (the organisation's own edit) a verified organisation's name, email and
    website go to `pending_changes`, and the public keeps seeing the verified ones."""
    refuse_if_erased(org)
    if review and org["status"] == "verified":
        org, changes = _held_for_review(org, changes, by, now)
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
    if "contacts" in changes:
        updated["contact_keys"] = contact_keys(changes["contacts"])
    entry = {"at": stamp, "action": "updated", "by": by, "fields": sorted(changes)}
    shown = {k: {"from": org.get(k), "to": v} for k, v in changes.items() if k in SHOWN_IN_HISTORY}
    if shown:
        entry["changes"] = shown
    updated["history"] = [*org.get("history", []), entry]
    return updated


def _held_for_review(org: dict, changes: dict, by: str, now: datetime) -> tuple[dict, dict]:
    """The organisation with its reviewed fields' changes waiting, and the other changes.
    Asking for the value it has already takes back what was waiting for that field."""
    if "name" in changes:  # checked now: held unchecked, it would fail every verify
        _check_name(changes["name"])
    waiting = dict(org.get("pending_changes") or {})
    for field in REVIEWED_FIELDS:
        if field in changes:
            value = changes[field]
            if value == org.get(field):
                waiting.pop(field, None)
            else:
                waiting[field] = value
    if field_set(waiting) == field_set(org.get("pending_changes") or {}):
        held = org
    else:
        stamp = iso(now)
        entry = {"at": stamp, "action": "change_requested", "by": by, "fields": sorted(waiting)}
        history = [*org.get("history", []), entry]
        held = {**org, "pending_changes": waiting, "updated_at": stamp, "history": history}
    return held, {k: v for k, v in changes.items() if k not in REVIEWED_FIELDS}


def reject_changes(org: dict, by: str, now: datetime, reason: str = "") -> dict:
    """Drop an organisation's held change of name, email or website: it keeps its
    verified values. Conflict when nothing is held (a second click, or verified since)."""
    refuse_if_erased(org)
    held = org.get("pending_changes") or {}
    if not held:
        raise Conflict(
            f"organisation {org['_id']} has no change waiting for review",
            {"pending_changes": ["nothing held"]},
        )
    stamp = iso(now)
    entry = {"at": stamp, "action": "changes_rejected", "by": by, "fields": sorted(held)}
    if reason:
        entry["reason"] = reason
    history = [*org.get("history", []), entry]
    return {**org, "pending_changes": {}, "updated_at": stamp, "history": history}


def field_set(values: dict) -> tuple:
    return tuple(sorted(values.items(), key=lambda kv: kv[0]))


ANONYMOUS = "Anonymous organisation"
# what erasure blanks: name, contact and free text (any of them may name a person)
FORGOTTEN = {
    "name": ANONYMOUS,
    "email": None,
    "phone": None,
    "website": None,
    "description": "",
    "held_offers": [],
    "contacts": [],
    "contact_keys": [],
    "pending_changes": {},
}


def own_contacts(org: dict) -> list[str]:
    """What of an organisation names a person: its addresses and phone."""
    return [c for c in (org.get("email"), org.get("phone"), *(org.get("contacts") or [])) if c]


def actor(by: str, org: dict) -> str:
    """Who the audit trail names, by id when it was the organisation's own address."""
    contacts = [c.casefold() for c in own_contacts(org)]
    if any(c in (by or "").casefold() for c in contacts):
        return f"organisation:{org['_id']}"
    return by


def _forgotten_entry(entry: dict, org: dict) -> dict:
    # a suspension's reason is free text a coordinator wrote, and may name a person
    entry = {**entry, "by": actor(entry.get("by", ""), org)} if "by" in entry else entry
    return {**entry, "reason": ""} if entry.get("reason") else entry


def _forgotten_event(env: dict) -> dict:
    payload = env["payload"]
    forgotten = {k: FORGOTTEN[k] for k in FORGOTTEN if k in payload}
    if payload.get("reason"):  # a coordinator's free text (a rejected change's), like above
        forgotten["reason"] = ""
    return {**env, "payload": {**payload, **forgotten}}


def public_profile(org: dict) -> dict:
    """What public pages may show of an organisation: a private person (kind
    individual) by no name and no website, only as a private person."""
    private = org.get("kind") == taxonomy.INDIVIDUAL
    return {
        "name": "" if private else org["name"],
        "website": None if private else org.get("website"),
        "status": org["status"],
        "anonymous": bool(org.get("erased_at")),
        "private": private,
    }


def erase(org: dict, by: str, now: datetime) -> dict:
    """Anonymise an organisation: name, contact and free-text fields go; its id, status,
    domains and history (with ids for people) stay, so offers it made still count in the
    commitment document as an anonymous organisation's. Events of it not yet published
    go out without them too."""
    stamp = iso(now)
    return {
        **org,
        **FORGOTTEN,
        "name_key": f"erased:{org['_id']}",
        "email_key": f"erased:{org['_id']}",
        "search_key": "",
        "erased": True,
        "erased_at": stamp,
        "updated_at": stamp,
        "history": [
            *(_forgotten_entry(e, org) for e in org.get("history", [])),
            {"at": stamp, "action": "erased", "by": actor(by, org)},
        ],
        OUTBOX: [_forgotten_event(env) for env in org.get(OUTBOX, [])],
        AUDIT: [{**e, "by": actor(e["by"], org)} for e in org.get(AUDIT, [])],
    }


def held_offer_problems(offers: list) -> dict:
    """Errors of each offer in a questionnaire, keyed by its position."""
    problems = {}
    for i, offer in enumerate(offers):
        try:
            load(OfferEdit(), offer)
        except Invalid as exc:
            problems[str(i)] = exc.details
    return problems
