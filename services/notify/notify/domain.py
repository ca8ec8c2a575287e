"""The notification outbox: what to send, to whom, and when to try again. Pure."""

from datetime import datetime, timedelta

from tilts_contracts.clock import iso

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=10)
LONGEST_WAIT = timedelta(hours=1)
# "not claimed": a time, not "", so every comparison is between times (NX-27017 reads
# date-like strings in update filters as dates, and "" never compares with a date)
NEVER = "1970-01-01T00:00:00Z"


def queue(
    key: str,
    recipient: str,
    template: str,
    language: str,
    context: dict,
    now: datetime,
    reply_to: str | None = None,
) -> dict:
    """A message waiting to be sent; `key` comes from the event, so it is queued once."""
    return {
        "_id": key,
        "recipient": recipient,
        "template": template,
        "language": language,
        "context": context,
        "reply_to": reply_to,
        "status": "pending",
        "attempts": 0,
        "last_error": None,
        "message_id": None,
        "next_attempt_at": iso(now),
        "claimed_until": NEVER,
        "created_at": iso(now),
        "updated_at": iso(now),
    }


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 10 s, 20 s, 40 s ... at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def sent(note: dict, now: datetime) -> dict:
    return {
        **note,
        "status": "sent",
        "attempts": note["attempts"] + 1,
        "last_error": None,
        "updated_at": iso(now),
        "sent_at": iso(now),
    }


def failed_attempt(note: dict, error: str, now: datetime) -> dict:
    """Count a failed send; after the last attempt the message is marked failed."""
    attempts = note["attempts"] + 1
    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    return {
        **note,
        "status": status,
        "attempts": attempts,
        "last_error": error[:500],
        "next_attempt_at": iso(now + backoff(attempts)),
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
        "updated_at": iso(now),
    }
