"""Time and identifiers in the one format every service stores and sends."""

import os
import secrets
import time
from datetime import UTC, date, datetime

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> datetime:
    """The current UTC time, to the second (stored times sort as strings)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """A UTC datetime as the fixed-width ISO-8601 string the API uses."""
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def parse_iso(text: str) -> datetime:
    """Read back a string written by `iso`."""
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=UTC)


def parse_date(text: str) -> date:
    return date.fromisoformat(text)


def new_id(prefix: str) -> str:
    """An opaque id that sorts by creation time, so ids double as list cursors."""
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{secrets.token_hex(5)}{os.getpid() % 256:02x}"
