"""What matching's copies keep once their owner forgot something (DESIGN, "Privacy
rules"). Pure: each function takes a stored document and gives the one to store, or
None when there is nothing left to forget, so doing it twice changes nothing.

- Retention: a need's description and case_ref go from matching's copy of the need,
  from the copy each of its matches holds, and from events still waiting in outboxes.
- Erasure: an organisation's offers lose their text; its matches lose its name and
  address and their copy of the offer's text, in waiting events too.
"""

from collections.abc import Callable

from tilts_contracts.forgetting import ERASED_OFFER_TEXT, FORGOTTEN_NEED_TEXT
from tilts_runtime.store import OUTBOX


def _with(doc: dict | None, text: dict) -> dict | None:
    """`doc` with `text` written over it; None when it holds that text already (or no
    document at all)."""
    if not isinstance(doc, dict) or all(doc.get(k, v) == v for k, v in text.items()):
        return None
    return {**doc, **{k: v for k, v in text.items() if k in doc or v}}


def _outbox_scrubbed(doc: dict, scrub: Callable[[dict], dict]) -> list:
    """The events waiting in `doc`'s outbox, each payload passed through `scrub`."""
    return [{**env, "payload": scrub(env["payload"])} for env in doc.get(OUTBOX, [])]


def _rewritten(doc: dict, scrub: Callable[[dict], dict]) -> dict | None:
    """`doc` and its waiting events through `scrub`; None when nothing changed."""
    new = {**scrub(doc), OUTBOX: _outbox_scrubbed(doc, scrub)}
    if OUTBOX not in doc:
        new.pop(OUTBOX)
    return None if new == doc else new


# -- retention -------------------------------------------------------------------------
def need_text_gone(need: dict, forgotten_at: str) -> dict:
    """A need (or a copy of one) without its free text, saying since when."""
    since = need.get("text_forgotten_at") or forgotten_at
    return {**need, **FORGOTTEN_NEED_TEXT, "text_forgotten_at": since}


def need_forgotten(need: dict, forgotten_at: str) -> dict | None:
    """Matching's copy of a need after retention, in its waiting gap events too."""

    def scrub(doc: dict) -> dict:
        if "need" in doc:  # a need_unmatched payload
            return {**doc, "need": need_text_gone(doc["need"], forgotten_at)}
        return need_text_gone(doc, forgotten_at)

    return _rewritten(need, scrub)


def match_need_forgotten(match: dict, forgotten_at: str) -> dict | None:
    """A match whose need's text retention forgot: its copy of the need, in its waiting
    events too."""

    def scrub(doc: dict) -> dict:
        copy = doc.get("need")
        return {**doc, "need": need_text_gone(copy, forgotten_at)} if copy else doc

    return _rewritten(match, scrub)


# -- erasure ---------------------------------------------------------------------------
def offer_forgotten(offer: dict) -> dict | None:
    """An erased organisation's offer without its text; None when it has none left."""
    return _with(offer, ERASED_OFFER_TEXT)


def match_forgotten(match: dict, contact: dict) -> dict | None:
    """A match of an erased organisation: whom to write to becomes `contact` (its id and
    the name registry left, no address), the offer's copy loses its text, and so does
    the note it declined with; in the events waiting in its outbox too."""

    def scrub(doc: dict) -> dict:
        note = {"decline_note": ""} if doc.get("decline_note") else {}
        if "organisation" not in doc and "offer" not in doc:
            return {**doc, **note}
        offer = doc.get("offer")
        return {
            **doc,
            "organisation": dict(contact),
            "offer": (offer_forgotten(offer) or offer) if offer else offer,
            **note,
        }

    return _rewritten(match, scrub)
