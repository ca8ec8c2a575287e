"""Notify's database: the notification outbox, contacts, subscriptions, reminders."""

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
        self.db.notifications.create_index([("organisation_id", ASCENDING), ("status", ASCENDING)])
        self.db.reminders.create_index([("status", ASCENDING), ("remind_at", ASCENDING)])
        self.db.subscriptions.create_index([("email", ASCENDING)], unique=True)

    # -- the outbox -------------------------------------------------------------------
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

    def held(self) -> list[dict]:
        return list(self.db.notifications.find({"status": "held"}).sort("_id", ASCENDING))

    def mark_digested(self, note_ids: list[str], digest_id: str, now) -> None:
        self.db.notifications.update_many(
            {"_id": {"$in": note_ids}, "status": "held"},
            {"$set": {"status": "sent", "via_digest": digest_id, "updated_at": iso(now)}},
        )

    def counts(self) -> dict:
        return {
            "notifications": {
                s: self.db.notifications.count_documents({"status": s})
                for s in ("pending", "held", "sent", "failed")
            }
        }

    # -- contacts: organisations as the registry describes them ---------------------
    def record_contact(self, org: dict) -> None:
        """Keep the newest revision of an organisation's contact data (and its choices)."""
        fields = {k: org.get(k) for k in ("name", "email", "preferred_language", "status")}
        fields["revision"] = org.get("revision", 0)
        try:
            self.db.contacts.insert_one({"_id": org["id"], **fields, "delivery": "immediate"})
        except DuplicateKeyError:
            self.db.contacts.update_one(
                {"_id": org["id"], "revision": {"$lt": fields["revision"]}}, {"$set": fields}
            )

    def forget_organisation(self, org_id: str) -> None:
        """Erasure: no address or message content of this organisation stays here."""
        self.db.notifications.update_many(
            {"organisation_id": org_id, "status": {"$in": ["pending", "held"]}},
            {"$set": {"status": "failed", "last_error": "the organisation's data was erased"}},
        )
        self.db.notifications.update_many(
            {"organisation_id": org_id},
            {"$set": {"recipient": "erased", "context": {}, "reply_to": None}},
        )
        self.db.reminders.delete_many({"match.organisation_id": org_id})

    def contact(self, org_id: str) -> dict | None:
        return self.db.contacts.find_one({"_id": org_id})

    def set_delivery(self, org_id: str, delivery: str) -> dict:
        """Immediate or digest; kept even before the registry's events arrive."""
        try:
            self.db.contacts.insert_one({"_id": org_id, "revision": 0, "delivery": delivery})
        except DuplicateKeyError:
            self.db.contacts.update_one({"_id": org_id}, {"$set": {"delivery": delivery}})
        return self.contact(org_id)

    # -- coordinators' gap-alert subscriptions --------------------------------------
    def subscribe(self, sub: dict) -> dict:
        existing = self.db.subscriptions.find_one({"email": sub["email"]})
        if existing:
            self.db.subscriptions.update_one(
                {"_id": existing["_id"]}, {"$set": {k: v for k, v in sub.items() if k != "_id"}}
            )
            return self.db.subscriptions.find_one({"_id": existing["_id"]})
        self.db.subscriptions.insert_one(sub)
        return sub

    def unsubscribe(self, sub_id: str) -> None:
        if self.db.subscriptions.delete_one({"_id": sub_id}).deleted_count == 0:
            raise NotFound(f"no subscription {sub_id}", {"id": sub_id})

    def subscribers(self, domain: str) -> list[dict]:
        return list(self.db.subscriptions.find({"domains": domain}))

    def subscriptions(self) -> list[dict]:
        return list(self.db.subscriptions.find({}).sort("_id", ASCENDING))

    # -- reminders half-way to a proposal's deadline ---------------------------------
    def plan_reminder(self, match_id: str, remind_at: str, payload: dict) -> None:
        try:
            self.db.reminders.insert_one(
                {"_id": match_id, "remind_at": remind_at, "status": "waiting", "match": payload}
            )
        except DuplicateKeyError:
            pass

    def settle_reminder(self, match_id: str) -> None:
        """The organisation answered (or the match ended): no reminder."""
        self.db.reminders.update_one(
            {"_id": match_id, "status": "waiting"}, {"$set": {"status": "done"}}
        )

    def reminders_due(self, now, limit: int = 50) -> list[dict]:
        return list(
            self.db.reminders.find({"status": "waiting", "remind_at": {"$lte": iso(now)}}).limit(
                limit
            )
        )
