"""The daily digest: messages held for a recipient gathered into one email a day, made
once however many workers try, and counted as sent only when the digest is."""

import uuid
from datetime import date, datetime

from tilts_contracts.clock import utcnow

from . import delivery, letters, rules
from .delivery import Delivery
from .rules import Outgoing


def holder(note: dict) -> str:
    """Whose digest a held message goes in: an organisation, or a coordinator's subscription."""
    return note.get("digest_holder") or note.get("organisation_id") or note["recipient"]


class Digests:
    """Today's digests, built from the outbox and sent through `delivery`."""

    def __init__(self, store, delivery: Delivery):
        self.store, self.delivery = store, delivery
        self.config = delivery.config

    def send(self, now: datetime, day: date) -> int:
        """One digest per recipient and day; its key names the day, so it is made once."""
        made = 0
        groups: dict[str, list[dict]] = {}
        for note in self.store.held():
            groups.setdefault(holder(note), []).append(note)
        for who, notes in groups.items():
            key = rules.digest_key(who, day)
            if self.store.exists(key):
                continue  # today's went already: these wait for tomorrow's
            if self._start(key, who, notes[0], now):
                made += self._build(key, [n["_id"] for n in notes])
        for stale in self.store.unfinished_digests(now - delivery.CLAIM):  # its maker stopped
            made += self._build(stale["_id"], None)
        return made

    def _start(self, key: str, who: str, first: dict, now: datetime) -> bool:
        """Put the digest's shell in the outbox; True if this call is its maker."""
        msg = Outgoing(
            key,
            first["recipient"],
            "digest",
            first["language"],
            {},
            reply_to=self.config.reply_to,
            organisation_id=first.get("organisation_id"),
        )
        shell = rules.queue(msg, now, self.delivery.message_id(key))
        shell.update(
            status=rules.BUILDING,
            digest_holder=who,
            maker=uuid.uuid4().hex,
            list_unsubscribe=letters.unsubscribe_url(self.config, who, first["language"], now),
        )
        # the maker's mark tells a retried insert of ours from another worker's
        return self.store.enqueue(shell) or self.store.get(key).get("maker") == shell["maker"]

    def _build(self, key: str, note_ids: list[str] | None) -> int:
        """Gather the held messages into digest `key` (`in_digest` until it goes), and send it."""
        digest = self.store.get(key)
        if note_ids is None:
            who = digest["digest_holder"]
            note_ids = [n["_id"] for n in self.store.held() if holder(n) == who]
        self.store.gather(note_ids, key)
        notes = self.store.gathered(key)
        if not notes:
            self.store.discard_unfinished(key)  # all withdrawn meanwhile: nothing to send
            return 0
        first = notes[0]["context"]
        context = {
            "organisation": first.get("organisation") or {},
            "subscriber": first.get("subscriber") or {},
            "items": [{**n["context"], "kind": n["template"], "note_id": n["_id"]} for n in notes],
            "unsubscribe_url": digest["list_unsubscribe"],
        }
        if not self.store.finish_digest(key, context, utcnow()):
            return 0
        self.delivery.deliver(key)
        return 1
