"""Offers and needs: their lifecycle and the privacy guard. Pure: no I/O, no clock."""

import re
from datetime import date, datetime

from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Invalid

# -- the privacy guard: a need describes a situation, never a person -------------
DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"  # what editors paste for "-"
# Every address starts where a word does (the look-behind): tried from inside a long word
# as well, `[\w.+-]+` would run to the word's end from each of its letters, and one 20,000
# letter paste would hold the service for a minute.
EMAIL = re.compile(
    r"(?<![\w.+-])(?:[\w.+-]+@[\w-]+(\.[\w-]+)+"
    # "janis [at] inbox.lv", "janis(at)inbox(dot)lv"
    r"|[\w.+-]+\s*[\[({]\s*(?:at|et|@)\s*[\])}]\s*[\w-]+"
    r"(?:(?:\.|\s*[\[({]\s*(?:dot|punkts)\s*[\])}]\s*)[\w-]+)+"
    # "janis at inbox dot lv": spelled out with no brackets, only ending in a domain's
    # last part ("look at the dot com era" is no address)
    r"|[\w.+-]+\s+(?:at|et)\s+(?!the\b|an?\b)[\w-]+(?:\s+(?:dot|punkts)\s+[\w-]+)*"
    r"\s+(?:dot|punkts)\s+(?:lv|com|org|net|eu|ee|lt|ru|ua|de|uk|se|fi|no|info|gov|edu|io)\b)",
    re.IGNORECASE,
)
SEP = f"[\\s{DASHES}]"
# a year and more digits: "RIX-2025-0017", "mācību gads 2025-2026", an invalid date
YEAR_FIRST = f"(?:19|20)\\d\\d[\\s./{DASHES}]"
PHONE_WORD = (
    r"\b(?:tel|tālr|talr|telefon\w*|tālru\w*|mob|mobil(?:ais|ā|o|ajam)|zvan\w*|phone|gsm"
    r"|whatsapp|viber|telegram|signal)\b[\s.:]*"
)
# Latvian numbers (+371 and 8 digits, mobiles 2x, landlines 6x) and international ones
PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\s?[1-9][\d\s().\-\u2013]{6,16}\d"  # no country code starts with 0
    # 8 digits from 2 or 6, however grouped ("2 612 3456", "2612-34-56"), unless they read as
    # a year and a number, or as an amount of money ("26 000 000 EUR")
    f"|(?<![\\w{DASHES}])(?:371{SEP}?)?(?!{YEAR_FIRST})[26](?:{SEP}?\\d){{7}}"
    r"(?!\d|\s?(?:eur\b|euro|eiro|€))"
    r"|(?<![\w.])[26]\d(?:\.\d\d){3}(?!\w|\.\d)"  # 26.12.34.56
    # after a word that says phone, any grouping of the 8 digits
    f"|{PHONE_WORD}(?:\\+?371{SEP}?)?[26](?:[\\s.{DASHES}]?\\d){{7}}(?!\\d)",
    re.IGNORECASE,
)
# personal codes: DDMMYY-NNNNN (old) and 32NNNN-NNNNN (new, since 2017), the dash maybe
# a space or an en dash, with a space either side of it or not
PERSONAL_CODE = re.compile(
    f"(?<![\\d+])(?:[0-3]\\d[01]\\d\\d\\d|32\\d{{4}})(?:\\s?[{DASHES}]\\s?|\\s)?\\d{{5}}(?!\\d)"
)
GUARDED = (
    (EMAIL, "contains an email address"),
    (PERSONAL_CODE, "contains a personal identity code"),
    (PHONE, "contains a phone number"),
)
PRIVATE_FIELDS = ("title", "description", "case_ref")
# dates look like phone numbers to a digit pattern ("2026-11-24" is 8 digits from a 2), so
# real dates are set aside first; "2612-34-56" or "26.12.34.56" is no date and stays
ISO_DATE = re.compile(r"(?<![\d.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-]|\.\d)")
LV_DATE = re.compile(r"(?<![\d.-])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d|\.\d)")
# "20261201": a date too, unless a phone word or +371 stands before it ("tel. 20261201")
COMPACT_DATE = re.compile(r"(?<![\w+])(\d{4})(\d\d)(\d\d)(?!\w)")
PHONE_BEFORE = re.compile(f"(?:{PHONE_WORD}|(?<![\\w+])(?:\\+|00)?371{SEP}?)$", re.IGNORECASE)
# a sum of money is no phone, though "26 500 000" has a phone's 8 digits: a number in
# groups of three after a word that says money ("Amount 26 500 000", "summa: € 2 650 000")
AMOUNT = re.compile(
    r"(?:(?:(?<!\w)(?:amount|sum|summa|kopsumma|kopā|total|budžet\w*|budget\w*|cost\w*"
    r"|izmaks\w*|eur|euro|eiro|usd)\b|€|\$)[\s.:]*)+"
    r"\d{1,3}(?:[\s.,]\d{3})+(?![\d.,]\d)",
    re.IGNORECASE,
)


def _is_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return 1900 <= int(year) <= 2100


def _compact_date(match: re.Match) -> str:
    # only the few characters before it can say phone (a window, so many dates stay linear)
    said_phone = PHONE_BEFORE.search(match.string, max(0, match.start() - 40), match.start())
    return " " if _is_date(*match.groups()) and not said_phone else match[0]


def _without_dates(text: str) -> str:
    """The text with real dates and sums of money set aside (digits that are no person)."""
    text = ISO_DATE.sub(lambda m: " " if _is_date(*m.groups()) else m[0], text)
    text = LV_DATE.sub(lambda m: " " if _is_date(*reversed(m.groups())) else m[0], text)
    text = COMPACT_DATE.sub(_compact_date, text)
    return AMOUNT.sub(" ", text)


def privacy_problems(need: dict) -> dict[str, list[str]]:
    """Fields of a need that name a person: describe the situation instead."""
    problems: dict[str, list[str]] = {}
    for field in PRIVATE_FIELDS:
        value = need.get(field)
        if not isinstance(value, str):
            continue  # missing, or a type error the schema reports
        text = _without_dates(value)
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
        "allocated": 0,
        "remaining_revision": 0,
        "created_at": stamp,
        "updated_at": stamp,
    }


def reserved(offer: dict) -> int:
    """Capacity matching holds for proposed, accepted or fulfilled matches."""
    return offer.get("allocated", offer["capacity"] - offer["remaining"])


def withdraw_offer(offer: dict, now: datetime, force: bool = False) -> dict:
    """Take an offer off the wall; with reservations only when forced."""
    if offer["status"] == "withdrawn":
        raise Conflict(f"offer {offer['_id']} is withdrawn already", {"status": ["withdrawn"]})
    if reserved(offer) > 0 and not force:
        raise Conflict(
            f"{reserved(offer)} of this offer is reserved for matches; "
            "withdraw with ?force=true to cancel those proposals",
            {"reserved": [f"{reserved(offer)} reserved for matches"]},
        )
    return {**offer, "status": "withdrawn", "updated_at": iso(now)}


def edit_offer(
    offer: dict, changes: dict, now: datetime, force: bool = False, committed: int = 0
) -> dict:
    """Apply edited fields; capacity may not drop below what is reserved unless forced,
    and never below what organisations have `committed` to (accepted or fulfilled)."""
    if offer["status"] == "withdrawn":
        raise Conflict(f"offer {offer['_id']} is withdrawn", {"status": ["withdrawn"]})
    # `forced` travels in offer_updated: only a forced cut may cancel requests already sent
    updated = {**offer, **changes, "updated_at": iso(now), "forced": force}
    start, end = updated.get("available_from"), updated.get("available_until")
    if start and end and end < start:
        raise Invalid(
            "the offer ends before it starts", {"available_until": ["is before available_from"]}
        )
    if "capacity" in changes:
        held = reserved(offer)
        if changes["capacity"] < committed:
            raise Conflict(
                f"{committed} of this offer is already accepted; capacity cannot go below that",
                {"capacity": [f"at least {committed} (accepted)"]},
            )
        if changes["capacity"] < held and not force:
            raise Conflict(
                f"{held} of this offer is reserved; capacity cannot go below that "
                "unless ?force=true (which cancels the affected proposals)",
                {"capacity": [f"at least {held}"], "reserved": [f"{held} reserved for matches"]},
            )
        updated = apply_allocation(updated, held)
    return updated


def forget_offer_text(offer: dict, now: datetime) -> dict:
    """An erased organisation's offer: its description goes (it may name a person or
    give a phone number); domain, title, capacity and what was delivered stay, for the
    commitment document. Nobody can be asked for it any more, so it is marked to leave
    the wall and the free capacity."""
    return {**offer, "description": "", "org_erased": True, "updated_at": iso(now), "forced": False}


def apply_allocation(offer: dict, allocated: int) -> dict:
    """Matching's count of what it holds against the offer; the rest is free.

    Free capacity shows as 0, not less, while a forced cut waits for matching to cancel
    the proposals above the new capacity.
    """
    remaining = max(0, offer["capacity"] - allocated)
    status = offer["status"]
    if status in ("active", "exhausted"):
        status = "exhausted" if remaining <= 0 else "active"
    return {**offer, "allocated": allocated, "remaining": remaining, "status": status}


# -- needs -------------------------------------------------------------------------
def need_problems(data: dict, today: date) -> dict[str, list[str]]:
    """What the privacy guard and the date check say of a need's fields, loaded or raw."""
    problems = privacy_problems(data)
    needed_by = data.get("needed_by")
    if isinstance(needed_by, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", needed_by):
        if _is_date(*needed_by.split("-")) and needed_by < today.isoformat():
            problems.setdefault("needed_by", []).append("is in the past")
    return problems


def with_problems(error: Invalid, problems: dict[str, list[str]]) -> Invalid:
    """One answer naming every bad field: the schema's errors and the guard's together."""
    details = dict(error.details)
    for field, messages in problems.items():
        known = details.get(field)
        details[field] = [*known, *messages] if isinstance(known, list) else known or messages
    if details == error.details:
        return error
    return Invalid(f"invalid fields: {', '.join(sorted(map(str, details)))}", details)


def post_need(data: dict, need_id: str, now: datetime, today: date) -> dict:
    """A new open need; refused if it names a person or is already overdue."""
    problems = need_problems(data, today)
    if problems:
        raise Invalid("the need cannot be posted as written", problems)
    stamp = iso(now)
    return {**data, "_id": need_id, "status": "open", "created_at": stamp, "updated_at": stamp}


def edit_need(need: dict, changes: dict, now: datetime, today: date) -> dict:
    """Edit an open need; the privacy guard and the date check apply again."""
    if need["status"] not in ("open", "unmatched"):
        raise Conflict(
            f"need {need['_id']} is {need['status']}; only open needs can be edited",
            {"status": [need["status"]]},
        )
    problems = need_problems(changes, today)
    if problems:
        raise Invalid("the need cannot be changed as written", problems)
    return {**need, **changes, "updated_at": iso(now)}


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
