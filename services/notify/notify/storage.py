"""Notify's database: the notification outbox and the contacts it writes to."""

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import iso
from tilts_contracts.errors import NotFound
from tilts_contracts.messaging import Store


class NotificationStore(Store):
    outbox_collections = ("notifications",)

    def ensure_indexes(self):
        super().ensure_indexes()
        self.db.notifications.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])

    def enqueue(self, note: dict) -> bool:
        """Queue a message once: the key comes from the event, so a redelivery adds nothing."""
        try:
            self.insert("notifications", note)
        except DuplicateKeyError:
            return False
        return True

    def get(self, note_id: str) -> dict:
        note = self.db.notifications.find_one({"_id": note_id})
        if note is None:
            raise NotFound(f"no notification {note_id}", {"id": note_id})
        return note

    def due(self, now, limit: int = 50) -> list[dict]:
        return list(
            self.db.notifications.find({"status": "pending", "next_attempt_at": {"$lte": iso(now)}})
            .sort("next_attempt_at", ASCENDING)
            .limit(limit)
        )

    def claim(self, note_id: str, now, until) -> dict | None:
        """Take a message for sending; None if another worker holds it or it is done."""
        result = self.db.notifications.update_one(
            {"_id": note_id, "status": "pending", "claimed_until": {"$lt": iso(now)}},
            {"$set": {"claimed_until": iso(until)}},
        )
        if result.modified_count != 1:
            return None
        return self.get(note_id)

    def counts(self) -> dict:
        return {
            "notifications": {
                s: self.db.notifications.count_documents({"status": s})
                for s in ("pending", "sent", "failed")
            }
        }
