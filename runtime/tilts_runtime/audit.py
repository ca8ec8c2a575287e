"""The audit log: who (an account id) changed what, and when, in every service.

An entry is written into the changed document in the same write as the change (like
an event in the outbox), so the two cannot part; the relay then files it in the
service's `audit` collection, once (its id is chosen when it is made). Entries keep ids
and field names only, never a person's name or contact: erasure has nothing to find.
"""

from collections.abc import Callable

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import iso, new_id, utcnow

# an entry, a function of the new document that gives one (or None), or nothing
Audit = dict | Callable[[dict], dict | None] | None
MAX_LIMIT = 500


def entry(by: str, action: str, object_id: str, summary: str = "") -> dict:
    """One change a person made: `by` is their account id, never a self-asserted name."""
    return {
        "_id": new_id("aud"),  # sorts by time to the millisecond, across services
        "at": iso(utcnow()),
        "by": by or "unknown",
        "action": action,
        "object_id": object_id,
        "summary": summary,
    }


def entries(audit: Audit, doc: dict) -> list[dict]:
    """The entries to write with `doc`: none, or the one `audit` gives."""
    made = audit(doc) if callable(audit) else audit
    return [made] if made else []


def ensure_indexes(db) -> None:
    db.audit.create_index([("at", DESCENDING)])  # no _id in it: NX-27017 refuses that
    db.audit.create_index([("by", ASCENDING)])
    db.audit.create_index([("object_id", ASCENDING)])


def file(db, pending: list[dict]) -> None:
    """Move entries written with a change into the log; again is harmless."""
    for item in pending:
        try:
            db.audit.insert_one(dict(item))
        except DuplicateKeyError:
            pass  # filed already, by a publish the relay raced


def read(
    db,
    actor: str | None = None,
    object_id: str | None = None,
    since: str | None = None,
    limit: int = 100,
    before: str | None = None,
) -> list[dict]:
    """Entries newest first, filtered; `before` is the id of the last one seen."""
    query: dict = {}
    if actor:
        query["by"] = actor
    if object_id:
        query["object_id"] = object_id
    if since:
        query["at"] = {"$gte": since}
    if before:
        query["_id"] = {"$lt": before}
    limit = max(1, min(MAX_LIMIT, int(limit)))
    docs = db.audit.find(query).sort("_id", DESCENDING).limit(limit)
    return [{**d, "id": d.pop("_id")} for d in docs]
