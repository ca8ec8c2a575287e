"""What notify forgets: everything of an erased organisation (its messages, the copies
in their unsent events, its SMTP errors, reminders, contact and parked events), and
the recipient and body of every message 90 days after it was sent."""

from datetime import datetime, timedelta

from tilts_contracts.clock import iso
from tilts_runtime.store import OUTBOX

from . import rendering, rules

# DESIGN's retention: sent notifications lose recipient and body after 90 days
SENT_KEPT = timedelta(days=90)
ERASED = "erased"  # stands for an erased organisation's address
ERASED_REASON = "the organisation's data was erased"
# how many messages one sweep clears before it looks again
BATCH = 200


# -- pure: a message without what names or reaches a person -------------------------
def without_person(doc: dict, recipient: str | None, known: tuple[str, ...]) -> dict:
    """`doc` (a message, or an event's copy of one) with its recipient replaced, its
    content gone, and `known` names and every address hidden in its SMTP errors."""
    hidden = (doc.get("recipient"), rendering.recipient_name(doc), *known)
    cleaned = {**doc, "recipient": recipient}
    for key, empty in (("context", {}), ("reply_to", None), ("list_unsubscribe", None)):
        if key in doc:
            cleaned[key] = empty
    if doc.get("last_error"):
        cleaned["last_error"] = rules.redact(doc["last_error"], *hidden)
    if doc.get("resends"):
        cleaned["resends"] = [
            {**r, "last_error": r.get("last_error") and rules.redact(r["last_error"], *hidden)}
            for r in doc["resends"]
        ]
    if doc.get(OUTBOX):  # events not yet published carry a copy of the message
        cleaned[OUTBOX] = [
            {**env, "payload": without_person(env["payload"], recipient, known)}
            for env in doc[OUTBOX]
        ]
    return cleaned


def without_subject(doc: dict, org_id: str) -> dict:
    """`doc`, written to someone else about organisation `org_id`, saying nothing of it."""
    cleaned = {**doc, "context": {"organisation": {"id": org_id, "erased": True}}}
    if doc.get(OUTBOX):
        cleaned[OUTBOX] = [
            {**env, "payload": without_subject(env["payload"], org_id)} for env in doc[OUTBOX]
        ]
    return cleaned


def erased(note: dict, org_id: str, known: tuple[str, ...], now: datetime) -> dict:
    """A message to or about erased organisation `org_id`, with nothing left of it; one
    not sent yet never will be."""
    if note.get("cleared") == "erasure":
        return note  # done on an earlier delivery of the erasure
    if note.get("organisation_id") == org_id:
        cleaned = without_person(note, ERASED, known)
    else:  # a coordinator's message about it: theirs to keep, without what it said
        cleaned = without_subject(note, org_id)
    if note["status"] in (*rules.UNSENT, rules.BUILDING):
        cleaned.update(status="failed", last_error=ERASED_REASON, claimed_by=None)
    return {**cleaned, "cleared": "erasure", "updated_at": iso(now)}


def expired(note: dict, now: datetime) -> dict:
    """A message sent over SENT_KEPT ago, without its recipient and content."""
    if note.get("cleared"):
        return note
    return {**without_person(note, None, ()), "cleared": "retention", "updated_at": iso(now)}


# -- applied to the store -------------------------------------------------------------
def forget_organisation(store, org_id: str, now: datetime) -> None:
    """Erasure: nothing that names or reaches organisation `org_id` stays in notify."""
    contact = store.contact(org_id) or {}
    known = tuple(v for v in (contact.get("name"), contact.get("email")) if v)
    for note_id in store.note_ids_of(org_id):
        store.change("notifications", note_id, lambda n: erased(n, org_id, known, now))
    store.forget_contact(org_id)
    store.drop_reminders(org_id)
    store.forget_parked(org_id, known)


def clear_sent(store, now: datetime) -> int:
    """Sent messages older than SENT_KEPT lose recipient and body (and reminders as old
    their copy of the match); how many messages did now."""
    store.drop_reminders_before(now - SENT_KEPT)
    cleared = 0
    while batch := store.sent_uncleared_before(now - SENT_KEPT, BATCH):
        for note in batch:
            store.change("notifications", note["_id"], lambda n: expired(n, now))
        cleared += len(batch)
    return cleared
