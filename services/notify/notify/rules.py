"""The notification outbox: what to send, to whom, when to try again, what to hold
for a digest. Pure: no I/O, no clock of its own."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tilts_contracts.clock import iso, parse_iso
from tilts_contracts.errors import Conflict
from tilts_contracts.localtime import RIGA

LONGEST_WAIT = timedelta(hours=1)
# each wait three times the last: with the defaults (10 s, 8 attempts) the waits are
# 10 s, 30 s, 90 s, 270 s, 810 s, 2430 s and 1 h, so a message is tried for about 2 h
# (7240 s) before it is marked failed; doubling never got past 640 s (21 minutes in all)
BACKOFF_FACTOR = 3
# a resend of a message sent this recently is a double click, not a second request
RESEND_GRACE = timedelta(seconds=60)
# what is left of a message held for the digest when its request ends before the digest
DROPPED = "dropped"
# groups of lifecycles.NOTIFICATION_STATUSES the rules below talk about:
# waiting for a digest, or left out of one: it goes with the digest or not at all
DIGEST_BOUND = ("held", "in_digest", DROPPED)
# held for a digest, or gathered into one not yet sent
IN_A_DIGEST = ("held", "in_digest")
# not sent, and meant to be: what an erasure stops
UNSENT = ("pending", "held", "in_digest")
# a digest being put together: a moment's state, never listed
BUILDING = "building"
# how a send ends (until a coordinator resends)
SETTLED = ("sent", "failed")
# "not claimed": a time, not "", so every comparison is between times (NX-27017 reads
# date-like strings in update filters as dates, and "" never compares with a date)
NEVER = "1970-01-01T00:00:00Z"
IMMEDIATE_URGENCIES = ("critical", "high")
# anything shaped like an email address, as SMTP servers quote them in their errors
ADDRESS = re.compile(r"[^\s<>@'\"`,;:()\[\]{}]+@[^\s<>@'\"`,;:()\[\]{}]+")


@dataclass(frozen=True)
class Outgoing:
    """A message to queue: to whom, which template with what, and how it waits."""

    key: str  # from the event, so a redelivery queues nothing more
    recipient: str
    template: str
    language: str
    context: dict
    reply_to: str | None = None
    hold: bool = False  # for the recipient's daily digest
    organisation_id: str | None = None  # written to this organisation
    about_organisation: str | None = None  # written to someone else about it
    digest_holder: str | None = None  # whose digest it waits for, when not the organisation's

    @classmethod
    def to_organisation(
        cls, org_id: str, contact: dict, key: str, template: str, context: dict, **options
    ) -> "Outgoing":
        """A message to organisation `org_id`, at its address and in its language."""
        language = contact.get("preferred_language") or "lv"
        return cls(
            key, contact["email"], template, language, context, organisation_id=org_id, **options
        )


def queue(msg: Outgoing, now: datetime, message_id: str | None = None) -> dict:
    """The outbox document of `msg`, waiting to be sent (or held for the digest)."""
    note = {
        "_id": msg.key,
        "recipient": msg.recipient,
        "organisation_id": msg.organisation_id,
        "template": msg.template,
        "language": msg.language,
        "context": msg.context,
        "reply_to": msg.reply_to,
        "status": "held" if msg.hold else "pending",
        "attempts": 0,
        "last_error": None,
        "message_id": message_id,
        "next_attempt_at": iso(now),
        "claimed_until": NEVER,
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    if msg.about_organisation:  # erasure finds it here
        note["about_organisation"] = msg.about_organisation
    if msg.hold:
        note["digest_holder"] = msg.digest_holder or msg.organisation_id or msg.recipient
    return note


def backoff(attempts: int, first: timedelta) -> timedelta:
    """Wait before attempt `attempts + 1`: first, 3x, 9x ... at most an hour."""
    return min(first * (BACKOFF_FACTOR ** max(attempts - 1, 0)), LONGEST_WAIT)


def sent(note: dict, now: datetime) -> dict:
    return {
        **note,
        "status": "sent",
        "attempts": note["attempts"] + 1,
        "last_error": None,
        "claimed_until": NEVER,
        "updated_at": iso(now),
        "sent_at": iso(now),
    }


def failed_attempt(
    note: dict, error: str, now: datetime, first_retry: timedelta, max_attempts: int
) -> dict:
    """Count a failed send (SMTP down, refused, timed out); after the last attempt of
    this round (a resend starts a new round) the message is marked failed."""
    attempts = note["attempts"] + 1
    this_round = attempts - note.get("round_from", 0)
    status = "failed" if this_round >= max_attempts else "pending"
    return {
        **note,
        "status": status,
        "attempts": attempts,
        "last_error": error[:500],
        "next_attempt_at": iso(now + backoff(this_round, first_retry)),
        "claimed_until": NEVER,
        "updated_at": iso(now),
    }


def unsendable(note: dict, error: str, now: datetime) -> dict:
    """The message cannot be written (a template or data fault): failed at once, with
    the reason, since trying the same message again cannot help."""
    return {
        **note,
        "status": "failed",
        "attempts": note["attempts"] + 1,
        "last_error": error[:500],
        "claimed_until": NEVER,
        "updated_at": iso(now),
    }


def dropped(note: dict, reason: str, now: datetime) -> dict:
    """Never sent, and now never to be: its request ended before the digest went."""
    return {
        **note,
        "status": DROPPED,
        "last_error": reason,
        "claimed_until": NEVER,
        "updated_at": iso(now),
    }


def resend(note: dict, now: datetime, new_message_id: str | None = None) -> dict:
    """A failed (or sent) message goes out again, its earlier round kept in `resends`."""
    status = note["status"]
    if status in DIGEST_BOUND:
        raise Conflict(
            f"notification {note['_id']} is {status}: it goes with the digest or not at all",
            {"status": [status]},
        )
    if note.get("cleared"):
        raise Conflict(
            f"notification {note['_id']} has no recipient any more ({note['cleared']})",
            {"status": [status]},
        )
    if note.get("claimed_until", NEVER) > iso(now):
        raise Conflict(f"notification {note['_id']} is being sent now", {"status": ["sending"]})
    if status == "sent" and note.get("sent_at") and parse_iso(note["sent_at"]) > now - RESEND_GRACE:
        raise Conflict(
            f"notification {note['_id']} was sent at {note['sent_at']}", {"status": ["sent"]}
        )
    earlier = {
        "at": iso(now),
        **{k: note.get(k) for k in ("status", "attempts", "last_error", "message_id", "sent_at")},
    }
    renewed = {
        **note,
        "status": "pending",
        "round_from": note["attempts"],
        "next_attempt_at": iso(now),
        "claimed_until": NEVER,
        "claimed_by": None,
        "last_error": None,
        "resends": [*(note.get("resends") or []), earlier],
        "updated_at": iso(now),
    }
    # mail servers drop a second message with a Message-ID they have seen
    if status == "sent" and new_message_id:
        renewed["message_id"] = new_message_id
    return renewed


def redact(text: str, *known: str | None) -> str:
    """`text` fit for a log line, which carries no personal data: every email address,
    and each of `known` (the recipient as it was given, address-shaped or not), hidden.
    `last_error` keeps the full text, for coordinators only."""
    for value in (v for v in known if v and len(v) >= 3):
        text = re.sub(re.escape(value), "<recipient>", text, flags=re.IGNORECASE)
    return ADDRESS.sub("<address>", text)


def review_summary(org: dict) -> dict:
    """What coordinators are told of a questionnaire: who, which domains (its own and its
    offers'), and the offers' titles; no description, since free text may name a person."""
    offers = [
        {k: o.get(k) for k in ("title", "domain", "capacity", "unit")}
        for o in org.get("held_offers") or []
        if isinstance(o, dict)
    ]
    domains = [*(org.get("domains") or []), *(o["domain"] for o in offers if o.get("domain"))]
    return {
        "id": org["id"],
        "name": org.get("name") or "",
        "kind": org.get("kind") or "",
        "domains": list(dict.fromkeys(domains)),
        "regions": org.get("regions") or [],
        "held_offers": offers,
    }


def wants_digest(
    contact: dict | None,
    urgency: str,
    respond_by: datetime,
    now: datetime,
    digest_hour: int,
    proposed_at: datetime | None = None,
) -> bool:
    """Hold a request for the digest only if the organisation chose it, the request is
    not urgent, and the next digest goes out no later than the half-way reminder: a
    deadline matching shortened to the day the help is needed can come sooner, and a
    request held past it would be first seen as a reminder, or not before it expired."""
    if not contact or contact.get("delivery") != "digest" or urgency in IMMEDIATE_URGENCIES:
        return False
    start = proposed_at or now
    return next_digest(now, digest_hour) <= start + (respond_by - start) / 2


def gap_alert_waits(
    delivery: str | None, urgency: str, needed_by: str | None, now: datetime, digest_hour: int
) -> bool:
    """Hold a gap alert for a coordinator's daily digest only if they chose the digest,
    the need is not urgent (critical and high go at once, as requests to organisations
    do), and the digest goes out before the day the help is needed: a gap first read
    about on that day, or after it, comes too late to close."""
    if delivery != "digest" or urgency in IMMEDIATE_URGENCIES:
        return False
    if not needed_by:
        return True
    digest_day_local = next_digest(now, digest_hour).astimezone(RIGA).date()
    return digest_day_local < date.fromisoformat(needed_by[:10])


def why_chosen(breakdown: dict, regions_match: bool, languages_asked: bool = True) -> list[str]:
    """The parts of a score worth saying in words, strongest reasons first; a language
    is a reason only when the need named one (else every offer scores it full)."""
    reasons = ["region" if regions_match else "nationwide"]
    if languages_asked and (breakdown.get("language") or 0) >= 1:
        reasons.append("language")
    if breakdown.get("capacity", 0) >= 1:
        reasons.append("capacity")
    if breakdown.get("responsiveness", 0) >= 0.6:
        reasons.append("responsiveness")
    if breakdown.get("fairness", 0) >= 1:
        reasons.append("fairness")
    return reasons


def reminder_at(created_at: str, respond_by: str) -> str:
    """Half-way between the proposal and its deadline."""
    start, end = parse_iso(created_at), parse_iso(respond_by)
    return iso(start + (end - start) / 2)


def next_digest(now: datetime, hour: int) -> datetime:
    """When a message held at `now` goes out at the latest: at `hour` on Riga's clock
    today if that is still ahead, else tomorrow (today's digest may have gone already).
    The same clock as `digest_day`, which the digest sender follows."""
    local = now.astimezone(RIGA)
    day = local.date() if local.hour < hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=RIGA).astimezone(UTC)


def digest_day(now: datetime, hour: int) -> date | None:
    """The day whose digest is due at `now`, from `hour` until midnight on Riga's clock
    (summer time or not, as the coordinators live it), so a notify that was down at the
    hour catches up later that day; None before the hour."""
    local = now.astimezone(RIGA)
    return local.date() if local.hour >= hour else None


def digest_key(holder: str, day: date) -> str:
    """One digest per recipient and day: the outbox's unique key makes it so."""
    return f"digest.{holder}.{day.isoformat()}"
