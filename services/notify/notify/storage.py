"""Notify's database: the notification outbox, contacts, subscriptions, reminders."""

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts import lifecycles
from tilts_contracts.clock import iso
from tilts_contracts.errors import NotFound
from tilts_runtime.store import VERSION, Store

from .rules import BUILDING, DROPPED, IN_A_DIGEST


class NotificationStore(Store):
    outbox_collections = ("notifications",)

    def ensure_indexes(self):
        super().ensure_indexes()
        self.db.notifications.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        self.db.notifications.create_index([("organisation_id", ASCENDING), ("status", ASCENDING)])
        self.db.notifications.create_index([("about_organisation", ASCENDING)])
        self.db.reminders.create_index([("status", ASCENDING), ("remind_at", ASCENDING)])
        self.db.subscriptions.create_index([("email", ASCENDING)], unique=True)
        self.db.notifications.create_index([("created_at", ASCENDING)])
        self.db.notifications.create_index([("context.match.id", ASCENDING)])
        self.db.notifications.create_index([("digest_id", ASCENDING), ("status", ASCENDING)])
        self.db.notifications.create_index([("status", ASCENDING), ("sent_at", ASCENDING)])

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

    def claim(self, note_id: str, now, until, token: str) -> dict | None:
        """Take a message for sending under `token`; None if another worker holds it or
        it is done. A new version, so a write by the one whose claim ran out fails."""
        result = self.db.notifications.update_one(
            {"_id": note_id, "status": "pending", "claimed_until": {"$lt": iso(now)}},
            {"$set": {"claimed_until": iso(until), "claimed_by": token}, "$inc": {VERSION: 1}},
        )
        if result.modified_count != 1:
            return None
        return self.get(note_id)

    def exists(self, note_id: str) -> bool:
        return self.db.notifications.find_one({"_id": note_id}, {"_id": 1}) is not None

    def notes_page(self, query: dict, limit: int, cursor: str | None):
        """One page of the outbox in the order messages were queued; the cursor is the
        last one's `created_at.id` (ids alone come from event ids, in no time order)."""
        if cursor:
            at, _, last_id = cursor.partition(".")
            query = {
                **query,
                "$or": [
                    {"created_at": {"$gt": at}},
                    {"created_at": at, "_id": {"$gt": last_id}},
                ],
            }
        docs = list(
            self.db.notifications.find(query)
            .sort([("created_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit + 1)
        )
        more, docs = len(docs) > limit, docs[:limit]
        return docs, (f"{docs[-1]['created_at']}.{docs[-1]['_id']}" if more else None)

    # -- digests: held messages go out together, once a day ---------------------------
    def held(self) -> list[dict]:
        return list(
            self.db.notifications.find({"status": "held"}).sort(
                [("created_at", ASCENDING), ("_id", ASCENDING)]
            )
        )

    def gather(self, note_ids: list[str], digest_id: str) -> None:
        """Held messages go into a digest; they stay unsent until it is sent."""
        self.db.notifications.update_many(
            {"_id": {"$in": note_ids}, "status": "held"},
            {"$set": {"status": "in_digest", "digest_id": digest_id}},
        )

    def gathered(self, digest_id: str) -> list[dict]:
        return list(
            self.db.notifications.find({"digest_id": digest_id, "status": "in_digest"}).sort(
                [("created_at", ASCENDING), ("_id", ASCENDING)]
            )
        )

    def finish_digest(self, digest_id: str, context: dict, now) -> bool:
        """The digest is built: it may be sent. False if another worker finished it."""
        result = self.db.notifications.update_one(
            {"_id": digest_id, "status": BUILDING},
            {
                "$set": {
                    "context": context,
                    "status": "pending",
                    "next_attempt_at": iso(now),
                    "updated_at": iso(now),
                }
            },
        )
        return result.modified_count == 1

    def unfinished_digests(self, before) -> list[dict]:
        """Digests whose maker stopped half-way (still `building` after a while)."""
        return list(
            self.db.notifications.find({"status": BUILDING, "created_at": {"$lt": iso(before)}})
        )

    def discard_unfinished(self, digest_id: str) -> None:
        self.db.notifications.delete_one({"_id": digest_id, "status": BUILDING})

    def dropped_among(self, note_ids: list) -> set:
        found = self.db.notifications.find(
            {"_id": {"$in": [i for i in note_ids if i]}, "status": DROPPED}, {"_id": 1}
        )
        return {d["_id"] for d in found}

    def settle_digest(self, digest_id: str, status: str, now) -> None:
        """The digest went (its messages count as sent) or failed for good (so do they)."""
        if status == "sent":
            self.db.notifications.update_many(
                {"digest_id": digest_id, "status": {"$in": ["in_digest", "failed"]}},
                {
                    "$set": {
                        "status": "sent",
                        "via_digest": digest_id,
                        "last_error": None,
                        "sent_at": iso(now),
                        "updated_at": iso(now),
                    }
                },
            )
        else:
            self.db.notifications.update_many(
                {"digest_id": digest_id, "status": "in_digest"},
                {
                    "$set": {
                        "status": "failed",
                        "last_error": f"its digest {digest_id} could not be sent",
                        "updated_at": iso(now),
                    }
                },
            )

    # -- matches that ended ----------------------------------------------------------
    def end_match(self, match_id: str, how: str, now) -> bool:
        """Record that a match ended; its request and reminder, if not sent yet (held for
        the digest, in an unsent digest, or waiting for a retry), are dropped. True if
        the organisation was sent the request (or it is being sent right now)."""
        try:
            self.db.ended_matches.insert_one({"_id": match_id, "how": how, "at": iso(now)})
        except DuplicateKeyError:
            pass
        about = {
            "context.match.id": match_id,
            "template": {"$in": ["match_proposed", "match_reminder"]},
        }
        reason = f"the request was {how} before it was sent"
        drop = {"$set": {"status": DROPPED, "last_error": reason, "updated_at": iso(now)}}
        self.db.notifications.update_many({**about, "status": {"$in": list(IN_A_DIGEST)}}, drop)
        self.db.notifications.update_many(
            {**about, "status": "pending", "claimed_until": {"$lt": iso(now)}}, drop
        )
        notes = self.db.notifications.find({**about, "template": "match_proposed"})
        return any(n["status"] in ("sent", "pending") for n in notes)

    def match_ended(self, match_id: str) -> bool:
        return self.db.ended_matches.find_one({"_id": match_id}) is not None

    def counts(self) -> dict:
        statuses = lifecycles.NOTIFICATION_STATUSES
        return {"notifications": self.count_by("notifications", "status", statuses)}

    # -- contacts: organisations as the registry describes them ---------------------
    def record_contact(self, org: dict) -> None:
        """Keep the newest revision of an organisation's contact data (and its choices)."""
        fields = {k: org.get(k) for k in ("name", "email", "preferred_language", "status")}
        fields["revision"] = org.get("revision", 0)
        fields["erased"] = bool(org.get("erased"))
        try:
            self.db.contacts.insert_one({"_id": org["id"], **fields, "delivery": "immediate"})
        except DuplicateKeyError:
            self.db.contacts.update_one(
                {"_id": org["id"], "revision": {"$lt": fields["revision"]}}, {"$set": fields}
            )

    def forget_contact(self, org_id: str) -> None:
        """An erased organisation: no name or address, and never written to again."""
        self.db.contacts.update_one(
            {"_id": org_id}, {"$set": {"name": None, "email": None, "erased": True}}
        )

    def contact(self, org_id: str) -> dict | None:
        return self.db.contacts.find_one({"_id": org_id})

    def erased(self, org_id: str) -> bool:
        return bool((self.contact(org_id) or {}).get("erased"))

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

    def set_subscription_delivery(self, sub_id: str, delivery: str) -> None:
        self.db.subscriptions.update_one({"_id": sub_id}, {"$set": {"delivery": delivery}})

    def unsubscribe(self, sub_id: str) -> None:
        if self.db.subscriptions.delete_one({"_id": sub_id}).deleted_count == 0:
            raise NotFound(f"no subscription {sub_id}", {"id": sub_id})

    def subscribers(self, domain: str) -> list[dict]:
        return list(self.db.subscriptions.find({"domains": domain}))

    def subscriptions(self) -> list[dict]:
        return list(self.db.subscriptions.find({}).sort("_id", ASCENDING))

    # -- what privacy forgets (privacy.py decides) ------------------------------------
    def note_ids_of(self, org_id: str) -> list[str]:
        """Messages to organisation `org_id` and, after them, to others about it (older
        reviews are known by their context only)."""
        to_it = self.db.notifications.find({"organisation_id": org_id}, {"_id": 1})
        about = self.db.notifications.find(
            {
                "organisation_id": {"$ne": org_id},
                "$or": [{"about_organisation": org_id}, {"context.organisation.id": org_id}],
            },
            {"_id": 1},
        )
        return [d["_id"] for d in to_it] + [d["_id"] for d in about]

    def drop_reminders(self, org_id: str) -> None:
        self.db.reminders.delete_many({"match.organisation_id": org_id})

    def drop_reminders_before(self, before) -> None:
        """Reminders due long ago: sent or settled, and their copy of the match with them."""
        self.db.reminders.delete_many({"remind_at": {"$lt": iso(before)}})

    def sent_uncleared_before(self, before, limit: int) -> list[dict]:
        """Sent messages still holding recipient and body, sent before `before`."""
        query = {"status": "sent", "sent_at": {"$lt": iso(before)}, "cleared": None}
        return list(self.db.notifications.find(query, {"_id": 1}).limit(limit))

    # -- reminders half-way to a proposal's deadline ---------------------------------
    def plan_reminder(self, match_id: str, remind_at: str, payload: dict) -> None:
        try:
            self.db.reminders.insert_one(
                {"_id": match_id, "remind_at": remind_at, "status": "waiting", "match": payload}
            )
        except DuplicateKeyError:
            pass

    def settle_reminder(self, match_id: str) -> None:
        """The organisation answered (or the match ended): no reminder, and no copy of
        the match (its organisation's address) kept for one."""
        self.db.reminders.update_one(
            {"_id": match_id, "status": "waiting"},
            {"$set": {"status": "done"}, "$unset": {"match": ""}},
        )

    def reminders_due(self, now, limit: int = 50) -> list[dict]:
        return list(
            self.db.reminders.find({"status": "waiting", "remind_at": {"$lte": iso(now)}}).limit(
                limit
            )
        )
