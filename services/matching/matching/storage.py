"""Matching's database: its read model of organisations, offers and needs, and matches.

Reservations are single conditional updates (`remaining >= q`, `covered <= quantity - q`),
so any number of workers can reserve at once without over-allocating.
"""

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import parse_iso
from tilts_contracts.messaging import VERSION, Store
from tilts_contracts.taxonomy import NATIONWIDE

CANDIDATE_POOL = 200


def hours_between(start: str, end: str) -> float:
    return (parse_iso(end) - parse_iso(start)).total_seconds() / 3600


# an open-ended availability is stored as the widest dates, so the candidate query is
# two plain range conditions (no null tests, which NX-27017 mishandles inside $and)
OPEN_START, OPEN_END = "0001-01-01", "9999-12-31"


def with_open_ends(offer: dict) -> dict:
    return {
        **offer,
        "available_from": offer.get("available_from") or OPEN_START,
        "available_until": offer.get("available_until") or OPEN_END,
    }


class MatchingStore(Store):
    outbox_collections = ("matches", "needs")

    def ensure_indexes(self):
        super().ensure_indexes()
        self.db.offers.create_index(
            [
                ("domain", ASCENDING),
                ("status", ASCENDING),
                ("org_status", ASCENDING),
                ("regions", ASCENDING),
                ("remaining", ASCENDING),
            ]
        )
        self.db.offers.create_index([("organisation_id", ASCENDING)])
        self.db.needs.create_index([("domain", ASCENDING), ("status", ASCENDING)])
        self.db.matches.create_index([("need_id", ASCENDING)])
        self.db.matches.create_index([("organisation_id", ASCENDING)])
        self.db.matches.create_index([("status", ASCENDING), ("respond_by", ASCENDING)])

    # -- read model of organisations ------------------------------------------------
    def record_organisation(self, org: dict) -> bool:
        """Keep the newest revision; True when this one changed what we hold."""
        doc = {k: org.get(k) for k in ("name", "email", "preferred_language", "status", "revision")}
        doc["_id"] = org["id"]
        try:
            self.db.organisations.insert_one(doc)
        except DuplicateKeyError:
            result = self.db.organisations.replace_one(
                {"_id": doc["_id"], "revision": {"$lt": doc["revision"]}}, doc
            )
            if result.modified_count == 0:
                return False
        self.db.offers.update_many(
            {"organisation_id": doc["_id"]},
            {"$set": {"org_status": doc["status"]}, "$inc": {VERSION: 1}},  # stale saves retry
        )
        if org.get("erased"):  # forget the contact data copied onto its matches
            self.db.matches.update_many(
                {"organisation_id": doc["_id"]},
                {
                    "$set": {
                        "organisation": {
                            "id": doc["_id"],
                            "name": doc["name"],
                            "email": None,
                            "preferred_language": doc["preferred_language"],
                        }
                    }
                },
            )
        return True

    def organisation(self, org_id: str) -> dict | None:
        return self.db.organisations.find_one({"_id": org_id})

    # -- read model of offers, with the capacity matching allocates ---------------------
    def get_offer(self, offer_id: str) -> dict:
        return self.get_doc("offers", offer_id, "offer")

    def find_offer(self, offer_id: str) -> dict | None:
        return self.db.offers.find_one({"_id": offer_id})

    def add_offer(self, offer: dict) -> bool:
        org = self.organisation(offer["organisation_id"]) or {}
        doc = {
            **with_open_ends(offer),
            "_id": offer["id"],
            "remaining": offer["capacity"],
            "org_status": org.get("status", "unknown"),
            VERSION: 1,
        }
        doc.pop("id")
        try:
            self.db.offers.insert_one(doc)
        except DuplicateKeyError:
            return False
        # the organisation may have been verified while we inserted: its handler writes the
        # organisation before updating offers, we insert before reading it, so one of the
        # two always sees the other's write and the offer never keeps a stale status
        now = (self.organisation(offer["organisation_id"]) or {}).get("status", "unknown")
        if now != doc["org_status"]:
            self.db.offers.update_one({"_id": doc["_id"]}, {"$set": {"org_status": now}})
        return True

    def save_offer(self, offer: dict) -> bool:
        result = self.db.offers.replace_one(
            {"_id": offer["_id"], VERSION: offer[VERSION]}, {**offer, VERSION: offer[VERSION] + 1}
        )
        return result.matched_count == 1

    def candidate_offers(self, need: dict, today: str, pool: int = CANDIDATE_POOL) -> list[dict]:
        """Offers that meet the need's hard rules, found by one indexed query.

        At most `pool` of them, those with the most free capacity, are scored: with
        thousands of offers for one domain and region, scoring all would make every
        need as slow as the whole wall is large.
        """
        when = need.get("needed_by") or today
        query = {
            "domain": need["domain"],
            "status": "active",
            "org_status": "verified",
            "regions": {"$in": [need["region"], NATIONWIDE]},
            "remaining": {"$gt": 0},
            "available_from": {"$lte": when},
            "available_until": {"$gte": when},
        }
        if need.get("languages"):
            query["languages"] = {"$in": list(need["languages"])}
        return list(self.db.offers.find(query).sort("remaining", -1).limit(pool))

    # -- a clock tests can move (only where TEST_CLOCK is on) --------------------------
    def clock_offset(self) -> float:
        doc = self.db.clock.find_one({"_id": "clock"})
        return doc["offset_seconds"] if doc else 0.0

    def shift_clock(self, seconds: float) -> float:
        self.db.clock.update_one(
            {"_id": "clock"}, {"$inc": {"offset_seconds": seconds}}, upsert=True
        )
        return self.clock_offset()

    def reserve(self, offer_id: str, quantity: int) -> bool:
        result = self.db.offers.update_one(
            {"_id": offer_id, "status": "active", "remaining": {"$gte": quantity}},
            {"$inc": {"remaining": -quantity, VERSION: 1}},
        )
        return result.modified_count == 1

    def release(self, offer_id: str, quantity: int) -> None:
        self.db.offers.update_one({"_id": offer_id}, {"$inc": {"remaining": quantity, VERSION: 1}})

    # -- read model of needs ------------------------------------------------------------
    def get_need(self, need_id: str) -> dict:
        return self.get_doc("needs", need_id, "need")

    def add_need(self, need: dict) -> bool:
        doc = {
            **need,
            "_id": need["id"],
            "covered": 0,
            "gap_reported": -1,
            "source_revision": need["revision"],
        }
        doc.pop("id")
        try:
            self.insert("needs", doc)
        except DuplicateKeyError:
            return False
        return True

    def cover(self, need_id: str, quantity: int, of: int) -> bool:
        result = self.db.needs.update_one(
            {
                "_id": need_id,
                "status": {"$in": ["open", "unmatched"]},
                "covered": {"$lte": of - quantity},
            },
            {"$inc": {"covered": quantity, VERSION: 1}},
        )
        return result.modified_count == 1

    def uncover(self, need_id: str, quantity: int) -> None:
        self.db.needs.update_one({"_id": need_id}, {"$inc": {"covered": -quantity, VERSION: 1}})

    def needs_waiting(self, domain: str) -> list[dict]:
        """Needs of a domain that are not yet fully covered by live proposals."""
        return [
            n
            for n in self.db.needs.find(
                {"domain": domain, "status": {"$in": ["open", "unmatched"]}}
            )
            if n["covered"] < n["quantity"]
        ]

    # -- matches ---------------------------------------------------------------------------
    def get_match(self, match_id: str) -> dict:
        return self.get_doc("matches", match_id, "match")

    def matches_of_need(self, need_id: str) -> list[dict]:
        return list(self.db.matches.find({"need_id": need_id}))

    def proposed(self, query: dict) -> list[dict]:
        return list(self.db.matches.find({**query, "status": "proposed"}))

    def open_matches(self, query: dict) -> list[dict]:
        """Proposed or accepted: matches that still hold capacity for a need."""
        return list(self.db.matches.find({**query, "status": {"$in": ["proposed", "accepted"]}}))

    def due(self, now_iso: str, limit: int = 100) -> list[dict]:
        return list(
            self.db.matches.find({"status": "proposed", "respond_by": {"$lte": now_iso}}).limit(
                limit
            )
        )

    def organisation_stats(self, org_ids: set[str], since_iso: str) -> dict[str, dict]:
        """Each organisation's answer record, for responsiveness and fairness."""
        stats: dict[str, dict] = {}
        for org_id in org_ids:
            s = {"asked": 0, "accepted": 0, "declined": 0, "expired": 0, "recent": 0}
            waits = []
            for m in self.db.matches.find(
                {"organisation_id": org_id}, {"status": 1, "created_at": 1, "answered_at": 1}
            ):
                s["asked"] += 1
                if m["status"] in ("accepted", "fulfilled"):
                    s["accepted"] += 1
                elif m["status"] in ("declined", "expired"):
                    s[m["status"]] += 1
                if m["created_at"] >= since_iso:
                    s["recent"] += 1
                if m.get("answered_at"):
                    waits.append(hours_between(m["created_at"], m["answered_at"]))
            s["answer_hours"] = sum(waits) / len(waits) if waits else None
            stats[org_id] = s
        return stats

    def counts(self) -> dict:
        statuses = ("proposed", "accepted", "declined", "expired", "fulfilled", "cancelled")
        return {
            "matches": {s: self.db.matches.count_documents({"status": s}) for s in statuses},
            "parked_events": self.db.parked_events.count_documents({}),
        }
