"""The event-handler decorator: validate the envelope, retry storage outages with
backoff, park what cannot be read or handled instead of dropping it."""

import functools
import logging
import time
import traceback

from nameko.events import SERVICE_POOL
from nameko_amqp_retry.decorators import backoff_factory
from pymongo.errors import ConnectionFailure, OperationFailure

from tilts_contracts.events import CONSUMERS, EVENTS, MalformedEvent, parse

from . import logs, metrics
from .queues import EventHandler
from .store import StaleWrite

log = logging.getLogger(__name__)


# Storage outages are worth waiting out; anything else is a bug to park and show.
TRANSIENT = (ConnectionFailure, StaleWrite)
RetryLater = backoff_factory(
    limit=0,  # never give up on an outage: the message waits in RabbitMQ
    schedule=(1000, 2000, 5000, 10000, 30000, 60000),
)


def _park(store, message, reason, event_type: str, handler_name: str) -> None:
    try:
        store.park(message, reason, handler_name)
    except ConnectionFailure as exc:  # acked unparked, the event would be gone
        log.warning("database away, %s waits in RabbitMQ to be parked", event_type)
        raise RetryLater() from exc


def _measured(fn, service, message, event_type: str, handler_name: str) -> None:
    """`_handle`, timed and counted by how it ended, for Prometheus."""
    name = getattr(service, "name", type(service).__name__)
    began, outcome = time.perf_counter(), "failed"
    try:
        outcome = _handle(fn, service, message, event_type, handler_name)
    except RetryLater:
        outcome = "retry"
        raise
    finally:
        seconds = time.perf_counter() - began
        metrics.HANDLER_SECONDS.labels(name, handler_name).observe(seconds)
        metrics.HANDLER_RUNS.labels(name, handler_name, outcome).inc()


def _handle(fn, service, message, event_type: str, handler_name: str) -> str:
    """Read the envelope and run `fn` with the event's ids in the log context: an outage
    is retried later, anything else (malformed, a bug) parked with its reason. Returns
    "ok" or "parked"."""
    try:
        env, payload = parse(message, event_type)
    except MalformedEvent as exc:
        log.warning("parking malformed %s event: %s", event_type, exc.reason)
        _park(service.store, message, exc.reason, event_type, handler_name)
        return "parked"
    event_token = logs.EVENT_ID.set(env["event_id"])
    need_token = logs.NEED_ID.set(logs.need_of(event_type, payload))
    try:
        fn(service, env, payload)
        log.info("handled %s in %s", event_type, handler_name)
        return "ok"
    except TRANSIENT as exc:
        log.warning("retrying %s %s later: %s", event_type, env["event_id"], exc)
        raise RetryLater() from exc
    except OperationFailure as exc:
        if exc.code in (None, 11600, 11602, 189, 91):  # interrupted/stepdown
            raise RetryLater() from exc
        _park(service.store, message, {"error": repr(exc)}, event_type, handler_name)
    except Exception as exc:  # a bug: keep the event and the reason visible
        log.exception("parking %s %s after an error", event_type, env["event_id"])
        trace = {"error": repr(exc), "trace": traceback.format_exc(limit=5)}
        _park(service.store, message, trace, event_type, handler_name)
    finally:
        logs.EVENT_ID.reset(event_token)
        logs.NEED_ID.reset(need_token)
    return "parked"


def consumes(source: str, event_type: str):
    """Declare `fn(self, envelope, payload)` as the handler of `source`'s `event_type`.

    The queue is per service (SERVICE_POOL), declared at start-up and a quorum queue
    (queues.py), so several workers of one service share the events and none are
    missed while it is down. The service must have its storage wrapper as `self.store`.
    """

    if EVENTS.get(event_type, (None,))[0] != source or event_type not in CONSUMERS:
        raise ValueError(f"{source} publishes no {event_type} that events.CONSUMERS lists")

    def decorate(fn):
        @functools.wraps(fn)
        def handle(self, message):
            _measured(fn, self, message, event_type, fn.__name__)

        return EventHandler.decorator(source, event_type, handler_type=SERVICE_POOL)(handle)

    return decorate
