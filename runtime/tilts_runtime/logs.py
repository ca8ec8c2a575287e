"""Structured logs: one JSON object a line, with the event and need being handled.

The handler decorator (`messaging.consumer.consumes`) sets the event id and need id for the
duration of a handler; every line logged meanwhile carries them. Messages name ids,
types and states, never a person's name or contact details.
"""

import json
import logging
import time
from contextvars import ContextVar

EVENT_ID: ContextVar[str | None] = ContextVar("event_id", default=None)
NEED_ID: ContextVar[str | None] = ContextVar("need_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, var in (("event_id", EVENT_ID), ("need_id", NEED_ID)):
            if var.get():
                line[key] = var.get()
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(line, ensure_ascii=False)

    converter = staticmethod(time.gmtime)


def need_of(event_type: str, payload: dict) -> str | None:
    """The need an event is about, if any."""
    if event_type in ("need_posted", "need_updated", "need_cancelled"):
        return payload.get("id")
    if "need_id" in payload:
        return payload["need_id"]
    need = payload.get("need")
    return need.get("id") if isinstance(need, dict) else None
