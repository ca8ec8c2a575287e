"""Offers and needs: their lifecycle and the privacy guard. Pure: no I/O, no clock."""

import re
from datetime import date, datetime

from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Invalid

# -- the privacy guard: a need describes a situation, never a person -------------
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Latvian numbers (+371 and 8 digits, mobiles 2x, landlines 6x) and international ones
PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\d[\d\s().-]{6,16}\d"
    r"|(?<!\d)(?:\+?371[\s-]?)?[26]\d(?:[\s-]?\d){6}(?!\d)"
)
# personal codes: DDMMYY-NNNNN (old) and 32NNNN-NNNNN (new, since 2017)
PERSONAL_CODE = re.compile(r"(?<!\d)(?:[0-3]\d[01]\d\d\d|32\d{4})-?\d{5}(?!\d)")
GUARDED = (
    (EMAIL, "contains an email address"),
    (PERSONAL_CODE, "contains a personal identity code"),
    (PHONE, "contains a phone number"),
)
PRIVATE_FIELDS = ("title", "description", "case_ref")


def privacy_problems(need: dict) -> dict[str, list[str]]:
    """Fields of a need that name a person: describe the situation instead."""
    problems: dict[str, list[str]] = {}
    for field in PRIVATE_FIELDS:
        text = need.get(field) or ""
        for pattern, message in GUARDED:
            if pattern.search(text):
                problems.setdefault(field, []).append(
                    f"{message}; describe the situation, not the person"
                )
                break
    return problems


# -- offers ------------------------------------------------------------------------
def pledge_offer(data: dict, offer_id: str, now: datetime) -> dict:
    """A new offer on the resource wall, all of its capacity free."""
    stamp = iso(now)
    return {
        **data,
        "_id": offer_id,
        "status": "active",
        "remaining": data["capacity"],
        "remaining_revision": 0,
        "created_at": stamp,
        "updated_at": stamp,
    }


def withdraw_offer(offer: dict, now: datetime) -> dict:
    if offer["status"] == "withdrawn":
        raise Conflict(f"offer {offer['_id']} is withdrawn already", {"status": ["withdrawn"]})
    return {**offer, "status": "withdrawn", "updated_at": iso(now)}


def apply_remaining(offer: dict, remaining: int) -> dict:
    """Matching's count of free capacity, as it reserves and releases."""
    status = offer["status"]
    if status in ("active", "exhausted"):
        status = "exhausted" if remaining <= 0 else "active"
    return {**offer, "remaining": remaining, "status": status}


# -- needs -------------------------------------------------------------------------
def post_need(data: dict, need_id: str, now: datetime, today: date) -> dict:
    """A new open need; refused if it names a person or is already overdue."""
    problems = privacy_problems(data)
    if data.get("needed_by") and data["needed_by"] < today.isoformat():
        problems.setdefault("needed_by", []).append("is in the past")
    if problems:
        raise Invalid("the need cannot be posted as written", problems)
    stamp = iso(now)
    return {**data, "_id": need_id, "status": "open", "created_at": stamp, "updated_at": stamp}


def cancel_need(need: dict, now: datetime) -> dict:
    if need["status"] in ("cancelled", "fulfilled"):
        raise Conflict(f"need {need['_id']} is {need['status']}", {"status": [need["status"]]})
    return {**need, "status": "cancelled", "updated_at": iso(now)}


LIVE = ("proposed", "accepted", "fulfilled")


def need_status(need: dict, matches: list[dict], unmatched: bool) -> str:
    """What a need's matches say about it: matched once accepted ones cover it."""
    if need["status"] == "cancelled":
        return "cancelled"
    accepted = sum(m["quantity"] for m in matches if m["status"] in ("accepted", "fulfilled"))
    fulfilled = sum(m["quantity"] for m in matches if m["status"] == "fulfilled")
    if fulfilled >= need["quantity"]:
        return "fulfilled"
    if accepted >= need["quantity"]:
        return "matched"
    if unmatched and not any(m["status"] in LIVE for m in matches):
        return "unmatched"
    return "open"
