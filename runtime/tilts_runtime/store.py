"""The base of every service's storage wrapper: versioned writes that carry their events.

A state change and its events are one single-document write (the outbox); `publish`
sends them right after, and the relay (`flush_outbox`) sends whatever a writer that
died left behind. Events a service cannot handle are parked with the reason.
"""

import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import iso, parse_iso, utcnow
from tilts_contracts.errors import NotFound
from tilts_contracts.events import envelope

from . import audit as audit_log

log = logging.getLogger(__name__)

VERSION, OUTBOX, PENDING, OUTBOX_AT = "_version", "_outbox", "_outbox_pending", "_outbox_at"
# audit entries written with a change, waiting for the relay to move them to `audit`
AUDIT = "_audit"
# an event written this recently is left to the writer's own flush
RELAY_GRACE = timedelta(seconds=2)
# parked events are kept this long (DESIGN, privacy rules): a TTL index on PARKED_ON, a
# BSON date (parked_at, an ISO string for listing and cursors, cannot carry one)
PARKED_DAYS = 30
PARKED_ON = "parked_on"
# what a parked event mentioning an erased organisation keeps (DESIGN, erasure)
ENVELOPE = ("event_id", "type", "occurred_at", "producer", "schema_version")
ERASED_REASON = "the organisation was erased: what the event said of it is gone"
MIN_WORD = 4  # a former name or address shorter than this is too common to look for
Dispatch = Callable[[str, dict], None]


class StaleWrite(Exception):
    """Someone else wrote the document since it was read: load and decide again."""


def retry_stale(fn: Callable, attempts: int = 20):
    """Run a load-decide-save function again while its write finds a newer version.

    Each retry first waits a random moment, growing a little: without it, writers that
    keep colliding on a busy machine can lose to each other every time."""
    for attempt in range(attempts - 1):
        try:
            return fn()
        except StaleWrite:
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
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

    # -- a clock tests can move (services offer it only where TEST_CLOCK is on) --------
    def clock_offset(self) -> float:
        doc = self.db.clock.find_one({"_id": "clock"})
        return doc["offset_seconds"] if doc else 0.0

    def shift_clock(self, seconds: float) -> float:
        self.db.clock.update_one(
            {"_id": "clock"}, {"$inc": {"offset_seconds": seconds}}, upsert=True
        )
        return self.clock_offset()

    def ensure_indexes(self) -> None:
        for name in self.outbox_collections:
            self.db[name].create_index([(PENDING, ASCENDING)])
        audit_log.ensure_indexes(self.db)
        self.db.parked_events.create_index([("parked_at", ASCENDING)])
        self.db.parked_events.create_index(
            [(PARKED_ON, ASCENDING)], expireAfterSeconds=PARKED_DAYS * 24 * 3600
        )
        # events parked before they carried the date expire too, counted from parked_at
        # (replaced whole: NX-27017 stores a date given to $set as a string)
        for doc in self.db.parked_events.find({PARKED_ON: {"$exists": False}}):
            when = parse_iso(doc["parked_at"]) if "parked_at" in doc else utcnow()
            self.db.parked_events.replace_one({"_id": doc["_id"]}, {**doc, PARKED_ON: when})

    # -- the unit of work: load, decide, save with events, publish ------------------
    def change(
        self,
        collection: str,
        doc_id: str,
        decide: Callable[[dict], dict | None],
        events: Iterable | Callable[[dict], Iterable] = (),
        dispatch: Dispatch | None = None,
        audit: audit_log.Audit = None,
        current: dict | None = None,
    ) -> dict:
        """Load a document, let `decide` make its next state, store that with `events`
        and publish them; again from the load while another writer got there first.

        `decide` returns the new document, or the one it was given (or None) for "no
        change": then nothing is written or published. `events` may be a function of
        the new document, for events whose payload is made from what was decided.
        `audit` (an entry, or a function of the new document giving one) records who
        made the change, in the same write. `current`, the document as a write just
        returned it, spares the first load (a stale one costs a retry, no more).
        Returns the stored document.
        """
        known = [current] if current is not None else []

        def attempt():
            doc = known.pop() if known else self.get_doc(collection, doc_id, collection.rstrip("s"))
            new = decide(doc)
            if new is None or new is doc:
                return doc, False
            chosen = list(events(new) if callable(events) else events)
            entries = audit_log.entries(audit, new)
            return self.replace(collection, new, chosen, entries), bool(chosen or entries)

        stored, written = retry_stale(attempt)
        if written:
            self.publish(dispatch, collection, doc_id, stored)
        return stored

    def add(
        self,
        collection: str,
        doc: dict,
        events: Iterable = (),
        dispatch: Dispatch | None = None,
        audit: audit_log.Audit = None,
    ) -> dict:
        """Insert a new document with its events and audit entry (once per id), and
        publish them."""
        stored = self.insert_once(collection, doc, events, audit_log.entries(audit, doc))
        if dispatch is not None or stored.get(AUDIT):
            self.publish(dispatch, collection, stored["_id"], stored)
        return stored

    # -- writes with their events -----------------------------------------------
    def insert(
        self, collection: str, doc: dict, event_types: Iterable = (), audit: list = ()
    ) -> dict:
        """Insert a new document with its events in one write; DuplicateKeyError if it exists."""
        event_types = list(event_types)
        stored = {**doc, VERSION: 1, "revision": 1}
        stored = _with_events(stored, [], [_event(t, stored) for t in event_types], audit)
        self.db[collection].insert_one(stored)
        self._maybe_die(event_types)
        return stored

    def insert_once(
        self, collection: str, doc: dict, event_types: Iterable = (), audit: list = ()
    ) -> dict:
        """Insert, or return what a previous delivery of the same request stored.

        RabbitMQ redelivers an RPC whose worker died before answering; the caller picks
        the new document's id, so the second delivery finds the first one's document.
        """
        try:
            return self.insert(collection, doc, event_types, audit)
        except DuplicateKeyError:
            existing = self.db[collection].find_one({"_id": doc["_id"]})
            if existing is None:
                raise
            return existing

    def replace(
        self, collection: str, doc: dict, event_types: Iterable = (), audit: list = ()
    ) -> dict:
        """Write `doc` over the version it was read at, with its events; StaleWrite if it moved.

        `revision` counts the resource's own changes and travels in its events, so a
        consumer can tell an old event from a new one whatever order they arrive in.
        """
        event_types = list(event_types)
        version = doc[VERSION]
        stored = {**doc, VERSION: version + 1, "revision": doc.get("revision", 0) + 1}
        stored = _with_events(
            stored, doc.get(OUTBOX, []), [_event(t, stored) for t in event_types], audit
        )
        result = self.db[collection].replace_one({"_id": doc["_id"], VERSION: version}, stored)
        if result.matched_count == 0:
            raise StaleWrite(f"{collection}/{doc['_id']} moved past version {version}")
        self._maybe_die(event_types)
        return stored

    def _maybe_die(self, event_types: list) -> None:
        if self.exit_after and self.exit_after & {
            e[0] if isinstance(e, tuple) else e for e in event_types
        }:
            log.critical("FAULT_EXIT_AFTER_WRITE: exiting after the write, before publishing")
            os._exit(70)

    def publish(
        self, dispatch: Dispatch | None, collection: str, doc_id: str, stored: dict | None = None
    ) -> None:
        """Publish a document's events right after its write; the relay retries failures.

        Given `stored`, the document as that write returned it, nothing is read back.
        """
        try:
            if stored is None:
                self.flush_outbox(dispatch, only=(collection, doc_id))
            elif stored.get(PENDING):
                self._send(dispatch, collection, stored)
        except Exception:  # the events are stored: the relay sends them within seconds
            log.exception("publishing %s/%s deferred to the relay", collection, doc_id)

    # -- reads ---------------------------------------------------------------------
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

    def count_by(self, collection: str, field: str, values: Iterable[str]) -> dict[str, int]:
        """How many documents hold each of `values` in `field` (every value named, 0 too)."""
        return {v: self.db[collection].count_documents({field: v}) for v in values}

    # -- the relay ---------------------------------------------------------------
    def flush_outbox(self, dispatch: Dispatch, only: tuple | None = None) -> int:
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
            fields = {OUTBOX: 1, AUDIT: 1, VERSION: 1}
            for doc in self.db[collection].find(query, fields).limit(200):
                sent += self._send(dispatch, collection, doc)
        return sent

    def outbox_pending(self) -> int:
        """How many documents hold events not yet published."""
        return sum(self.db[c].count_documents({PENDING: True}) for c in self.outbox_collections)

    def _send(self, dispatch: Dispatch | None, collection: str, doc: dict) -> int:
        """Publish the events a document holds and file its audit entries, then clear
        both unless it moved meanwhile (a later write carries them on, and its own
        publish sends them)."""
        outbox = doc.get(OUTBOX, [])
        if outbox and dispatch is None:
            return 0  # a store used without a dispatcher: the relay sends them
        for env in outbox:
            dispatch(env["type"], env)
        audit_log.file(self.db, doc.get(AUDIT, []))
        self.db[collection].update_one(
            {"_id": doc["_id"], VERSION: doc[VERSION]},
            {"$set": {OUTBOX: [], AUDIT: [], PENDING: False, VERSION: doc[VERSION] + 1}},
        )
        return len(doc.get(OUTBOX, []))

    # -- events we could not handle ----------------------------------------------
    def park(self, message: object, reason: object, handler: str) -> None:
        """Keep an unhandleable event with the reason, for an admin to see and replay."""
        event_id = message.get("event_id") if isinstance(message, dict) else None
        key = f"{handler}:{event_id}" if event_id else None
        now = utcnow()
        doc = {
            "handler": handler,
            "event": message if isinstance(message, dict) else repr(message),
            "reason": reason,
            "parked_at": iso(now),
            PARKED_ON: now,
        }
        if key:
            doc["_id"] = key
        try:
            self.db.parked_events.insert_one(doc)
        except DuplicateKeyError:
            pass  # parked already, on an earlier delivery

    def forget_parked(self, org_id: str, words: Iterable[str | None] = ()) -> int:
        """Erasure: parked events mentioning organisation `org_id` (its id, or any of
        `words`: the name and address it had), in what they said or in the reason, keep
        their envelope and the id only; how many were rewritten."""
        needles = {org_id, *(w for w in words if w and len(w) >= MIN_WORD)}
        done = 0
        for doc in self.db.parked_events.find({}):
            if not mentions({"event": doc.get("event"), "reason": doc.get("reason")}, needles):
                continue
            event = doc.get("event")
            kept = {k: event[k] for k in ENVELOPE if isinstance(event, dict) and k in event}
            forgotten = {**kept, "payload": {"organisation_id": org_id}}
            self.db.parked_events.update_one(
                {"_id": doc["_id"]},
                {"$set": {"event": forgotten, "reason": {"erased": ERASED_REASON}}},
            )
            done += 1
        return done

    def parked(self, limit: int = 100, before: str | None = None) -> list[dict]:
        """Parked events, newest first; with `before`, those parked then or earlier."""
        query = {"parked_at": {"$lte": before}} if before else {}
        docs = self.db.parked_events.find(query, {PARKED_ON: 0}).sort("parked_at", -1).limit(limit)
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


def mentions(doc: object, needles: Iterable[str]) -> bool:
    """Whether any of `needles` appears anywhere in `doc`, whatever its shape, case aside."""
    text = json.dumps(doc, default=str, ensure_ascii=False).casefold()
    return any(n and n.casefold() in text for n in needles)


def _event(event: str | tuple[str, dict], doc: dict) -> dict:
    """An event type alone carries the document as its payload; a pair names its own."""
    if isinstance(event, tuple):
        return envelope(*event)
    return envelope(event, {**doc, "id": doc["_id"]})


def _with_events(doc: dict, waiting: list, new: list, audit: list = ()) -> dict:
    outbox = list(waiting) + new
    entries = list(doc.get(AUDIT, [])) + list(audit)
    stamped = {**doc, OUTBOX: outbox, AUDIT: entries, PENDING: bool(outbox or entries)}
    if new or audit:
        stamped[OUTBOX_AT] = iso(utcnow())
    return stamped
