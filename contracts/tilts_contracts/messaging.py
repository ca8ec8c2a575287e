"""How every service stores state with its events, and consumes events safely.

- `Store` is the base of each service's storage wrapper: optimistic versioned writes
  that carry their events in the same single-document write (the outbox), a relay
  that publishes them, and a parking lot for events that cannot be handled.
- `MongoDatabase` is the nameko dependency that opens the service's own database.
- `consumes` declares an event handler that validates the envelope, retries on
  storage outages with backoff, and parks what it cannot read instead of dropping it.
"""

import functools
import logging
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta

from kombu import Queue
from nameko.amqp.publish import get_connection
from nameko.constants import AMQP_SSL_CONFIG_KEY
from nameko.events import SERVICE_POOL
from nameko.events import EventDispatcher as NamekoEventDispatcher
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc as nameko_rpc
from nameko.timer import timer
from nameko_amqp_retry.decorators import backoff_factory
from nameko_amqp_retry.events import event_handler
from pymongo import ASCENDING, MongoClient
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure

from . import logs, settings
from .clock import iso, utcnow
from .errors import NotFound, TiltsError
from .events import CONSUMERS, EVENTS, MalformedEvent, envelope, parse
from .probe import HEARTBEAT_SECONDS

log = logging.getLogger(__name__)

VERSION, OUTBOX, PENDING, OUTBOX_AT = "_version", "_outbox", "_outbox_pending", "_outbox_at"
# an event written this recently is left to the writer's own flush
RELAY_GRACE = timedelta(seconds=2)


def rpc(fn):
    """nameko's @rpc, with domain errors (Invalid, NotFound, Conflict...) logged as
    expected answers rather than as failures of the service."""
    return nameko_rpc(expected_exceptions=TiltsError)(fn)


class StaleWrite(Exception):
    """Someone else wrote the document since it was read: load and decide again."""


def retry_stale(fn: Callable, attempts: int = 20):
    """Run a load-decide-save function again while its write finds a newer version."""
    for _ in range(attempts - 1):
        try:
            return fn()
        except StaleWrite:
            continue
    return fn()


class Store:
    """Base of a service's storage wrapper, bound to that service's database."""

    # collections whose documents may carry events
    outbox_collections: tuple[str, ...] = ()

    def __init__(self, db, exit_after: frozenset[str] = frozenset()):
        self.db = db
        # fault injection for tests: die right after storing one of these events,
        # before publishing it (FAULT_EXIT_AFTER_WRITE, empty in every real deployment)
        self.exit_after = exit_after

    def ensure_indexes(self) -> None:
        for name in self.outbox_collections:
            self.db[name].create_index([(PENDING, ASCENDING)])
        self.db.parked_events.create_index([("parked_at", ASCENDING)])

    # -- writes with their events -----------------------------------------------
    def insert(self, collection: str, doc: dict, event_types: Iterable = ()) -> dict:
        """Insert a new document with its events in one write; DuplicateKeyError if it exists."""
        stored = {**doc, VERSION: 1, "revision": 1}
        stored = _with_events(stored, [], [_event(t, stored) for t in event_types])
        self.db[collection].insert_one(stored)
        self._maybe_die(event_types)
        return stored

    def insert_once(self, collection: str, doc: dict, event_types: Iterable = ()) -> dict:
        """Insert, or return what a previous delivery of the same request stored.

        RabbitMQ redelivers an RPC whose worker died before answering; the caller picks
        the new document's id, so the second delivery finds the first one's document.
        """
        try:
            return self.insert(collection, doc, event_types)
        except DuplicateKeyError:
            existing = self.db[collection].find_one({"_id": doc["_id"]})
            if existing is None:
                raise
            return existing

    def replace(self, collection: str, doc: dict, event_types: Iterable = ()) -> dict:
        """Write `doc` over the version it was read at, with its events; StaleWrite if it moved.

        `revision` counts the resource's own changes and travels in its events, so a
        consumer can tell an old event from a new one whatever order they arrive in.
        """
        version = doc[VERSION]
        stored = {**doc, VERSION: version + 1, "revision": doc.get("revision", 0) + 1}
        stored = _with_events(stored, doc.get(OUTBOX, []), [_event(t, stored) for t in event_types])
        result = self.db[collection].replace_one({"_id": doc["_id"], VERSION: version}, stored)
        if result.matched_count == 0:
            raise StaleWrite(f"{collection}/{doc['_id']} moved past version {version}")
        self._maybe_die(event_types)
        return stored

    def _maybe_die(self, event_types: Iterable) -> None:
        if self.exit_after and self.exit_after & {
            e[0] if isinstance(e, tuple) else e for e in event_types
        }:
            log.critical("FAULT_EXIT_AFTER_WRITE: exiting after the write, before publishing")
            os._exit(70)

    def publish(self, dispatch: Callable[[str, dict], None], collection: str, doc_id: str) -> None:
        """Publish a document's events right after its write; the relay retries failures."""
        try:
            self.flush_outbox(dispatch, only=(collection, doc_id))
        except Exception:  # the events are stored: the relay sends them within seconds
            log.exception("publishing %s/%s deferred to the relay", collection, doc_id)

    def get_doc(self, collection: str, doc_id: str, what: str) -> dict:
        """One document by id, or NotFound naming what was asked for."""
        doc = self.db[collection].find_one({"_id": doc_id})
        if doc is None:
            raise NotFound(f"no {what} {doc_id}", {"id": doc_id})
        return doc

    def find_page(self, collection: str, query: dict, limit: int, cursor: str | None):
        """One page of a listing in id (creation) order, and the cursor of the next."""
        if cursor:
            query = {**query, "_id": {"$gt": cursor}}
        docs = list(self.db[collection].find(query).sort("_id", ASCENDING).limit(limit + 1))
        more = len(docs) > limit
        docs = docs[:limit]
        return docs, (docs[-1]["_id"] if more else None)

    # -- the relay ---------------------------------------------------------------
    def flush_outbox(self, dispatch: Callable[[str, dict], None], only: tuple | None = None) -> int:
        """Publish waiting events, then clear them; returns how many went out.

        With `only=(collection, id)` it flushes one document just written; without, it
        sweeps every outbox for events whose writer died before publishing them.
        A crash after publishing and before clearing publishes again: consumers are
        idempotent on event_id, so that is safe, while losing an event is not.
        """
        sent = 0
        if only:
            targets = [(only[0], {"_id": only[1], PENDING: True})]
        else:
            cutoff = iso(utcnow() - RELAY_GRACE)
            targets = [
                (c, {PENDING: True, OUTBOX_AT: {"$lt": cutoff}}) for c in self.outbox_collections
            ]
        for collection, query in targets:
            for doc in self.db[collection].find(query, {OUTBOX: 1, VERSION: 1}).limit(200):
                for env in doc.get(OUTBOX, []):
                    dispatch(env["type"], env)
                    sent += 1
                self.db[collection].update_one(
                    {"_id": doc["_id"], VERSION: doc[VERSION]},
                    {"$set": {OUTBOX: [], PENDING: False, VERSION: doc[VERSION] + 1}},
                )
        return sent

    # -- events we could not handle ----------------------------------------------
    def park(self, message: object, reason: object, handler: str) -> None:
        """Keep an unhandleable event with the reason, for an admin to see and replay."""
        event_id = message.get("event_id") if isinstance(message, dict) else None
        key = f"{handler}:{event_id}" if event_id else None
        doc = {
            "handler": handler,
            "event": message if isinstance(message, dict) else repr(message),
            "reason": reason,
            "parked_at": iso(utcnow()),
        }
        if key:
            doc["_id"] = key
        try:
            self.db.parked_events.insert_one(doc)
        except DuplicateKeyError:
            pass  # parked already, on an earlier delivery

    def parked(self, limit: int = 100, before: str | None = None) -> list[dict]:
        """Parked events, newest first; with `before`, those parked then or earlier."""
        query = {"parked_at": {"$lte": before}} if before else {}
        docs = self.db.parked_events.find(query).sort("parked_at", -1).limit(limit)
        return [{**d, "_id": str(d["_id"])} for d in docs]

    # -- idempotency -------------------------------------------------------------
    def first_time(self, key: str) -> bool:
        """Record `key` as handled; False when it was handled before."""
        try:
            self.db.handled_events.insert_one({"_id": key, "at": iso(utcnow())})
        except DuplicateKeyError:
            return False
        return True

    def ping(self) -> bool:
        self.db.command("ping")
        return True

    # -- handler durations, kept per process so that replicas add up -------------------
    def save_handler_times(self, process: str, stats: dict[str, dict]) -> None:
        """This process's running totals, under its own key (one writer per document)."""
        handlers = [{"handler": h, **v} for h, v in sorted(stats.items())]
        self.db.handler_times.replace_one(
            {"_id": process},
            {"_id": process, "handlers": handlers, "at": iso(utcnow())},
            upsert=True,
        )

    def handler_times_total(self) -> dict[str, dict]:
        """Every process's totals added up: what the whole service has done, a counter
        that only grows however many replicas come and go."""
        total: dict[str, dict] = {}
        for doc in self.db.handler_times.find({}):
            for entry in doc.get("handlers", []):
                t = total.setdefault(entry["handler"], {"count": 0, "seconds": 0.0})
                t["count"] += entry["count"]
                t["seconds"] = round(t["seconds"] + entry["seconds"], 6)
        return total


def _event(event: str | tuple[str, dict], doc: dict) -> dict:
    """An event type alone carries the document as its payload; a pair names its own."""
    if isinstance(event, tuple):
        return envelope(*event)
    return envelope(event, {**doc, "id": doc["_id"]})


def _with_events(doc: dict, waiting: list, new: list) -> dict:
    outbox = list(waiting) + new
    stamped = {**doc, OUTBOX: outbox, PENDING: bool(outbox)}
    if new:
        stamped[OUTBOX_AT] = iso(utcnow())
    return stamped


class MongoDatabase(DependencyProvider):
    """Opens this service's own database in setup() and injects `store_class(db)`."""

    def __init__(self, store_class: type[Store]):
        self.store_class = store_class

    def setup(self):
        uri = settings.get(self.container.config, "MONGO_URI")
        self.client = MongoClient(uri, serverSelectionTimeoutMS=10000)
        self.db = self.client[settings.database_name(self.container.service_name)]
        faults = settings.get(self.container.config, "FAULT_EXIT_AFTER_WRITE")
        self.exit_after = frozenset(filter(None, (f.strip() for f in faults.split(","))))
        self.store_class(self.db).ensure_indexes()

    def stop(self):
        self.client.close()

    def kill(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.store_class(self.db, self.exit_after)


class RefuseKnownSecret(DependencyProvider):
    """Stops the service at start-up, in one line, when AUTH_SECRET is one anyone can
    read in the repository and PUBLIC_URL is not a local address."""

    def setup(self):
        problem = settings.secret_problem(self.container.config)
        if problem:
            raise SystemExit(problem)  # `nameko run` prints it and exits 1

    def get_dependency(self, worker_ctx):
        return None


class Heartbeat(DependencyProvider):
    """The process's heartbeat file (HEARTBEAT_FILE; none when it is empty)."""

    def setup(self):
        self.path = settings.get(self.container.config, "HEARTBEAT_FILE")

    def get_dependency(self, worker_ctx):
        return self

    def beat(self) -> None:
        if self.path:
            with open(self.path, "a"):
                pass
            os.utime(self.path)


class HandlerTimes:
    """How long this process's event handlers took: count and total seconds each."""

    def __init__(self):
        self.stats: dict[str, list[float]] = {}
        # host and pid name the process; the random part keeps a restarted container
        # (same pod name, pid 1 again) from overwriting what its predecessor counted
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.saved: dict[str, dict] = {}

    def observe(self, handler: str, seconds: float) -> None:
        entry = self.stats.setdefault(handler, [0, 0.0])
        entry[0] += 1
        entry[1] += seconds

    def snapshot(self) -> dict[str, dict]:
        return {h: {"count": c, "seconds": round(s, 6)} for h, (c, s) in self.stats.items()}


HANDLER_TIMES = HandlerTimes()  # per process; each saves its own into the service's database


# Storage outages are worth waiting out; anything else is a bug to park and show.
TRANSIENT = (ConnectionFailure, StaleWrite)
RetryLater = backoff_factory(
    limit=0,  # never give up on an outage: the message waits in RabbitMQ
    schedule=(1000, 2000, 5000, 10000, 30000, 60000),
)


def consumer_queue(event_type: str, consumer: str) -> str:
    """The queue nameko gives `consumer`'s SERVICE_POOL handler of `event_type`."""
    producer, _ = EVENTS[event_type]
    return f"evt-{producer}-{event_type}--{consumer}.on_{event_type}"


class EventDispatcher(NamekoEventDispatcher):
    """nameko's dispatcher, which also declares, when the service starts, the queue of
    every consumer of its events (events.CONSUMERS) exactly as that consumer's handler
    declares it: durable, shared by its workers, bound by event type. An event published
    before its consumer has ever run then waits in the queue instead of being dropped."""

    def setup(self):
        super().setup()  # declares the exchange, and makes the publisher
        exchange = self.exchange
        queues = [
            Queue(
                consumer_queue(event_type, consumer),
                exchange=exchange,
                routing_key=event_type,
                durable=True,
                auto_delete=False,
                exclusive=False,
            )
            for event_type, consumers in CONSUMERS.items()
            if EVENTS[event_type][0] == self.container.service_name
            for consumer in consumers
        ]
        with get_connection(self.amqp_uri, self.container.config.get(AMQP_SSL_CONFIG_KEY)) as conn:
            channel = conn.channel()
            for queue in queues:
                queue.bind(channel).declare()


def consumes(source: str, event_type: str):
    """Declare `fn(self, envelope, payload)` as the handler of `source`'s `event_type`.

    The queue is per service (SERVICE_POOL), declared at start-up and durable, so
    several workers of one service share the events and none are missed while it
    is down. The service must have its storage wrapper as `self.store`.
    """

    if EVENTS.get(event_type, (None,))[0] != source or event_type not in CONSUMERS:
        raise ValueError(f"{source} publishes no {event_type} that events.CONSUMERS lists")

    def decorate(fn):
        handler_name = f"{fn.__name__}"

        def park(store, message, reason) -> None:
            try:
                store.park(message, reason, handler_name)
            except ConnectionFailure as exc:  # acked unparked, the event would be gone
                log.warning("database away, %s waits in RabbitMQ to be parked", event_type)
                raise RetryLater() from exc

        @functools.wraps(fn)
        def handle(self, message):
            try:
                env, payload = parse(message, event_type)
            except MalformedEvent as exc:
                log.warning("parking malformed %s event: %s", event_type, exc.reason)
                park(self.store, message, exc.reason)
                return None
            event_token = logs.EVENT_ID.set(env["event_id"])
            need_token = logs.NEED_ID.set(logs.need_of(event_type, payload))
            began = time.perf_counter()
            try:
                result = fn(self, env, payload)
                log.info("handled %s in %s", event_type, handler_name)
                return result
            except TRANSIENT as exc:
                log.warning("retrying %s %s later: %s", event_type, env["event_id"], exc)
                raise RetryLater() from exc
            except OperationFailure as exc:
                if exc.code in (None, 11600, 11602, 189, 91):  # interrupted/stepdown
                    raise RetryLater() from exc
                park(self.store, message, {"error": repr(exc)})
            except Exception as exc:  # a bug: keep the event and the reason visible
                log.exception("parking %s %s after an error", event_type, env["event_id"])
                park(
                    self.store,
                    message,
                    {"error": repr(exc), "trace": traceback.format_exc(limit=5)},
                )
            finally:
                HANDLER_TIMES.observe(handler_name, time.perf_counter() - began)
                logs.EVENT_ID.reset(event_token)
                logs.NEED_ID.reset(need_token)
            return None

        return event_handler(source, event_type, handler_type=SERVICE_POOL)(handle)

    return decorate


class Operable:
    """What every backend service does for operators: health and parked events over RPC,
    a heartbeat file for its container's probe, handler durations summed over replicas.

    Mixed into each service class; the service provides `self.store`.
    """

    alive = Heartbeat()
    known_secret = RefuseKnownSecret()

    @rpc
    def health(self) -> dict:
        return {"status": "ok" if self.store.ping() else "down"}

    @timer(interval=HEARTBEAT_SECONDS, eager=True)
    def heartbeat(self):
        """Touch HEARTBEAT_FILE: only a process whose timers still get workers does, so
        the liveness probe tests this process, not a sibling, the broker or the database."""
        self.alive.beat()

    @timer(interval=10)
    def keep_handler_times(self):
        """Save this process's handler totals when they have moved."""
        self._save_handler_times(only_if_moved=True)

    @rpc
    def handler_times(self) -> dict:
        """Event-handler calls and seconds of every worker of this service, added up
        (this one's as of now, the others' as of their last save, at most 10 s old)."""
        self._save_handler_times(only_if_moved=False)
        return self.store.handler_times_total()

    def _save_handler_times(self, only_if_moved: bool) -> None:
        stats = HANDLER_TIMES.snapshot()
        if only_if_moved and stats == HANDLER_TIMES.saved:
            return
        self.store.save_handler_times(HANDLER_TIMES.process, stats)
        HANDLER_TIMES.saved = stats

    @rpc
    def parked_events(self, limit: int = 100, before: str | None = None) -> list:
        """Events this service could not handle, newest first, with the reason."""
        return self.store.parked(min(int(limit), 1000), before)
