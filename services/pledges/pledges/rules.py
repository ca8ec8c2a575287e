"""Offers and needs: their lifecycle. Pure: no I/O, no clock. (The privacy guard stands
in the schemas every service loads them with: tilts_contracts.privacy.)"""

import re
from datetime import date, datetime

from tilts_contracts import lifecycles, taxonomy
from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Forbidden, Invalid
from tilts_contracts.forgetting import ERASED_OFFER_TEXT, FORGOTTEN_NEED_TEXT
from tilts_runtime.store import OUTBOX


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


def pause_offer(offer: dict, now: datetime) -> dict:
    """Take an offer off the wall for a while: nothing new is proposed from it; requests
    already sent stand, and its capacity and renewals are kept for when it resumes."""
    if offer["status"] not in lifecycles.STANDING_OFFER:
        raise Conflict(
            f"offer {offer['_id']} is {offer['status']}; only an offer on the wall can pause",
            {"status": [offer["status"]]},
        )
    return {**offer, "status": "paused", "updated_at": iso(now), "forced": False}


def resume_offer(offer: dict, now: datetime) -> dict:
    """Back on the wall: active, or exhausted if nothing of it is free."""
    if offer["status"] != "paused":
        raise Conflict(
            f"offer {offer['_id']} is {offer['status']}, not paused", {"status": [offer["status"]]}
        )
    back = {**offer, "status": "active", "updated_at": iso(now), "forced": False}
    return apply_allocation(back, reserved(offer))


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


def _without_text(env: dict, text: dict) -> dict:
    """An event waiting in a document's outbox, its payload's copies of `text` replaced."""
    payload = env["payload"]
    return {**env, "payload": {**payload, **{k: v for k, v in text.items() if k in payload}}}


def forget_offer_text(offer: dict, now: datetime) -> dict:
    """An erased organisation's offer: its title, description and unit go, in the events
    not yet published too; domain, capacity, regions and what was delivered stay, for the
    commitment document. Nobody can be asked for it any more, so it is marked to leave
    the wall and the free capacity."""
    return {
        **offer,
        **ERASED_OFFER_TEXT,
        "org_erased": True,
        "updated_at": iso(now),
        "forced": False,
        OUTBOX: [_without_text(env, ERASED_OFFER_TEXT) for env in offer.get(OUTBOX, [])],
    }


def apply_allocation(offer: dict, allocated: int) -> dict:
    """Matching's count of what it holds against the offer; the rest is free.

    Free capacity shows as 0, not less, while a forced cut waits for matching to cancel
    the proposals above the new capacity.
    """
    remaining = max(0, offer["capacity"] - allocated)
    status = offer["status"]
    if status in lifecycles.STANDING_OFFER:
        status = "exhausted" if remaining <= 0 else "active"
    return {**offer, "allocated": allocated, "remaining": remaining, "status": status}


# -- needs -------------------------------------------------------------------------
ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")


def need_problems(data: dict, today: date) -> dict[str, list[str]]:
    """What the date check says of a need's fields, loaded or raw: the schema reports
    the other errors of a raw body, and the guard's, beside these."""
    needed_by = data.get("needed_by")
    if isinstance(needed_by, str) and ISO_DAY.fullmatch(needed_by):
        try:
            overdue = date.fromisoformat(needed_by) < today
        except ValueError:
            return {}  # not a date: the schema says so
        if overdue:
            return {"needed_by": ["is in the past"]}
    return {}


def with_problems(error: Invalid, problems: dict[str, list[str]]) -> Invalid:
    """One answer naming every bad field: the schema's errors and the guard's together."""
    details = dict(error.details)
    for field, messages in problems.items():
        known = details.get(field)
        details[field] = [*known, *messages] if isinstance(known, list) else known or messages
    if details == error.details:
        return error
    return Invalid(f"invalid fields: {', '.join(sorted(map(str, details)))}", details)


def named_domain(data) -> str | None:
    """The working group a body names, if it is one (anything else: the schema's 400)."""
    domain = data.get("domain") if isinstance(data, dict) else None
    return domain if isinstance(domain, str) and domain in taxonomy.DOMAINS else None


def within_groups(domains: list[str] | None, *asked: str | None) -> None:
    """A working-group lead (`domains`) changes needs only in its groups; None: anyone.
    Forbidden naming `domain` for any other group asked (the need's, or one moved to)."""
    outside = sorted({d for d in asked if d is not None and d not in (domains or ())})
    if domains and outside:
        raise Forbidden(
            f"you lead {', '.join(domains)}; needs in {', '.join(outside)} are not yours to change",
            {"domain": [f"not one of your working groups: {', '.join(outside)}"]},
        )


def post_need(data: dict, need_id: str, now: datetime, today: date) -> dict:
    """A new open need; refused if it is already overdue."""
    problems = need_problems(data, today)
    if problems:
        raise Invalid("the need cannot be posted as written", problems)
    stamp = iso(now)
    return {**data, "_id": need_id, "status": "open", "created_at": stamp, "updated_at": stamp}


def edit_need(
    need: dict, changes: dict, now: datetime, today: date, within: list[str] | None = None
) -> dict:
    """Edit an open need; the date check applies again; a lead (`within`) its own only."""
    within_groups(within, need.get("domain"))
    if need["status"] not in lifecycles.WAITING_NEED:
        raise Conflict(
            f"need {need['_id']} is {need['status']}; only open needs can be edited",
            {"status": [need["status"]]},
        )
    problems = need_problems(changes, today)
    if problems:
        raise Invalid("the need cannot be changed as written", problems)
    edited = {**need, **changes, "updated_at": iso(now)}
    if any(edited.get(k) for k in FORGOTTEN_NEED_TEXT):
        edited.pop("text_forgotten_at", None)  # text written anew is forgotten in its turn
    return edited


def cancel_need(need: dict, now: datetime, within: list[str] | None = None) -> dict:
    """Cancel a need that has not ended; a lead (`within`) one of its own groups only."""
    within_groups(within, need.get("domain"))
    if need["status"] in lifecycles.CLOSED_NEED:
        raise Conflict(f"need {need['_id']} is {need['status']}", {"status": [need["status"]]})
    return {**with_status(need, "cancelled", now), "updated_at": iso(now)}


def with_status(need: dict, status: str, now: datetime) -> dict:
    """The need in `status`; `ended_at` says since when it has been fulfilled, cancelled or
    unmatched (retention counts from there), and goes when it is open or matched again."""
    if status not in lifecycles.ENDED_NEED:
        return {**need, "status": status, "ended_at": None}
    if status == need["status"] and need.get("ended_at"):
        return need
    return {**need, "status": status, "ended_at": iso(now)}


def text_outlived(need: dict, cutoff: str) -> bool:
    """Whether the need ended before `cutoff` and still holds its free text (a need ended
    before `ended_at` was kept counts from its last change)."""
    if need["status"] not in lifecycles.ENDED_NEED or need.get("text_forgotten_at"):
        return False
    return (need.get("ended_at") or need["updated_at"]) < cutoff


def forget_need_text(need: dict, now: datetime) -> dict:
    """Retention: the description and case_ref go, from its unpublished events too."""
    return {
        **need,
        **FORGOTTEN_NEED_TEXT,
        "text_forgotten_at": iso(now),
        OUTBOX: [_without_text(env, FORGOTTEN_NEED_TEXT) for env in need.get(OUTBOX, [])],
    }


LIVE = lifecycles.LIVE_MATCH  # the matches that hold part of a need


def need_status(need: dict, matches: list[dict], unmatched: bool) -> str:
    """What a need's matches say about it: matched once accepted ones cover it."""
    if need["status"] == "cancelled":
        return "cancelled"
    accepted = sum(m["quantity"] for m in matches if m["status"] in lifecycles.AGREED_MATCH)
    fulfilled = sum(m["quantity"] for m in matches if m["status"] == "fulfilled")
    if fulfilled >= need["quantity"]:
        return "fulfilled"
    if accepted >= need["quantity"]:
        return "matched"
    if unmatched and not any(m["status"] in LIVE for m in matches):
        return "unmatched"
    return "open"
