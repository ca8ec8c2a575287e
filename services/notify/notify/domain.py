"""The notification outbox: what to send, to whom, when to try again, what to hold
for a digest. Pure: no I/O, no clock of its own."""

from datetime import datetime, timedelta

from tilts_contracts.clock import iso, parse_iso

LONGEST_WAIT = timedelta(hours=1)
# "not claimed": a time, not "", so every comparison is between times (NX-27017 reads
# date-like strings in update filters as dates, and "" never compares with a date)
NEVER = "1970-01-01T00:00:00Z"
IMMEDIATE_URGENCIES = ("critical", "high")


def queue(
    key: str,
    recipient: str,
    template: str,
    language: str,
    context: dict,
    now: datetime,
    reply_to: str | None = None,
    hold: bool = False,
    organisation_id: str | None = None,
) -> dict:
    """A message to send (or to hold for the digest); `key` comes from the event."""
    return {
        "_id": key,
        "recipient": recipient,
        "organisation_id": organisation_id,
        "template": template,
        "language": language,
        "context": context,
        "reply_to": reply_to,
        "status": "held" if hold else "pending",
        "attempts": 0,
        "last_error": None,
        "message_id": None,
        "next_attempt_at": iso(now),
        "claimed_until": NEVER,
        "created_at": iso(now),
        "updated_at": iso(now),
    }


def backoff(attempts: int, first: timedelta) -> timedelta:
    """Wait before attempt `attempts + 1`: first, 2x, 4x ... at most an hour."""
    return min(first * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def sent(note: dict, now: datetime) -> dict:
    return {
        **note,
        "status": "sent",
        "attempts": note["attempts"] + 1,
        "last_error": None,
        "updated_at": iso(now),
        "sent_at": iso(now),
    }


def failed_attempt(
    note: dict, error: str, now: datetime, first_retry: timedelta, max_attempts: int
) -> dict:
    """Count a failed send; after the last attempt the message is marked failed."""
    attempts = note["attempts"] + 1
    status = "failed" if attempts >= max_attempts else "pending"
    return {
        **note,
        "status": status,
        "attempts": attempts,
        "last_error": error[:500],
        "next_attempt_at": iso(now + backoff(attempts, first_retry)),
        "claimed_until": NEVER,
        "updated_at": iso(now),
    }


def resend(note: dict, now: datetime) -> dict:
    """A coordinator asks for a failed (or sent) message to go out again."""
    return {
        **note,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": iso(now),
        "claimed_until": NEVER,
        "last_error": None,
        "updated_at": iso(now),
    }


def wants_digest(contact: dict | None, urgency: str) -> bool:
    """Digest for non-urgent requests, if the organisation chose it."""
    return (
        bool(contact)
        and contact.get("delivery") == "digest"
        and (urgency not in IMMEDIATE_URGENCIES)
    )


def why_chosen(breakdown: dict, regions_match: bool) -> list[str]:
    """The parts of a score worth saying in words, strongest reasons first."""
    reasons = ["region" if regions_match else "nationwide"]
    if breakdown.get("language", 0) >= 1:
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
    """The next daily digest time (UTC hour) after `now`."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)
