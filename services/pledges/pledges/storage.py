"""The pledges database: offers, needs (each with its outbox) and a view of matches."""

from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts import lifecycles, taxonomy
from tilts_contracts.clock import iso
from tilts_runtime.store import Store

from . import renewal


class PledgeStore(Store):
    outbox_collections = ("offers", "needs")

    def ensure_indexes(self):
        super().ensure_indexes()
        self.db.offers.create_index([("organisation_id", ASCENDING)])
        self.db.offers.create_index([("domain", ASCENDING), ("status", ASCENDING)])
        self.db.needs.create_index([("status", ASCENDING)])
        self.db.matches.create_index([("need_id", ASCENDING)])
        self.db.matches.create_index([("offer_id", ASCENDING)])
        self.db.offers.create_index([("renews", ASCENDING), ("period_start", ASCENDING)])

    def get_offer(self, offer_id: str) -> dict:
        return self.get_doc("offers", offer_id, "offer")

    def get_need(self, need_id: str) -> dict:
        return self.get_doc("needs", need_id, "need")

    # -- erased organisations -------------------------------------------------------
    def note_erased(self, org_id: str) -> None:
        try:
            self.db.erased_organisations.insert_one({"_id": org_id})
        except DuplicateKeyError:
            pass

    def is_erased(self, org_id: str) -> bool:
        return self.db.erased_organisations.find_one({"_id": org_id}) is not None

    def offer_ids_of(self, org_id: str) -> list[str]:
        return [o["_id"] for o in self.db.offers.find({"organisation_id": org_id}, {"_id": 1})]

    # -- retention ---------------------------------------------------------------------
    def needs_outliving(self, cutoff: str) -> list[str]:
        """Ids of needs ended before `cutoff` that still hold their free text."""
        query = {
            "status": {"$in": list(lifecycles.ENDED_NEED)},
            "text_forgotten_at": {"$exists": False},
            "$or": [
                {"ended_at": {"$lt": cutoff}},
                {"ended_at": {"$exists": False}, "updated_at": {"$lt": cutoff}},
            ],
        }
        return [n["_id"] for n in self.db.needs.find(query, {"_id": 1})]

    # -- matching's view ---------------------------------------------------------------
    def matches_of(self, need_id: str) -> list[dict]:
        return list(self.db.matches.find({"need_id": need_id}).sort("_id", ASCENDING))

    def record_match(self, match: dict) -> bool:
        """Keep the newest revision of a match; False if this one is older or the same."""
        doc = {**match, "_id": match["id"]}
        doc.pop("need", None), doc.pop("offer", None), doc.pop("organisation", None)
        try:
            self.db.matches.insert_one(doc)
            return True
        except DuplicateKeyError:
            result = self.db.matches.replace_one(
                {"_id": doc["_id"], "revision": {"$lt": doc["revision"]}}, doc
            )
            return result.modified_count == 1

    def record_remaining(self, offer_id: str, revision: int) -> dict | None:
        """The offer, if matching's count at `revision` is newer than the one it shows."""
        return self.db.offers.find_one({"_id": offer_id, "remaining_revision": {"$lt": revision}})

    def committed_of(self, offer_id: str, since: str | None = None) -> int:
        """Quantity organisations accepted (or fulfilled) from this offer; `since` the
        period of a renewing offer began, what they delivered before it is spent."""
        if since:
            agreed = self.db.matches.find(
                {"offer_id": offer_id, "status": {"$in": list(lifecycles.AGREED_MATCH)}}
            )
            return renewal.held_in_period(list(agreed), since)
        return self.delivered_by_offer(offer_id).get(offer_id, {}).get("accepted", 0)

    def matches_of_offer(self, offer_id: str) -> list[dict]:
        return list(self.db.matches.find({"offer_id": offer_id}))

    # -- renewing capacity ---------------------------------------------------------------
    def due_for_renewal(self, now: datetime) -> list[str]:
        """Ids of standing offers whose renewal period began after the one they count in."""
        due = []
        for kind in taxonomy.RENEWALS:
            query = {
                "renews": kind,
                "status": {"$in": list(lifecycles.KEPT_OFFER)},
                "period_start": {"$lt": iso(renewal.period_start(now, kind))},
            }
            due += [o["_id"] for o in self.db.offers.find(query, {"_id": 1})]
        return due

    def public_offers(
        self, region: str | None, with_erased: bool, statuses=lifecycles.STANDING_OFFER
    ) -> list[dict]:
        query: dict = {"public": True, "status": {"$in": list(statuses)}}
        if region:
            query["regions"] = {"$in": [region, "nationwide"]}
        offers = self.db.offers.find(query).sort("_id", ASCENDING)
        return [o for o in offers if with_erased or not o.get("org_erased")]

    def live_offers(self) -> list[dict]:
        """Offers still standing (not withdrawn), public or not, that someone can be
        asked for (an erased organisation's cannot)."""
        offers = self.db.offers.find({"status": {"$in": list(lifecycles.STANDING_OFFER)}})
        return [o for o in offers if not o.get("org_erased")]

    def all_needs(self) -> list[dict]:
        return list(self.db.needs.find({}, {"domain": 1, "region": 1, "status": 1, "quantity": 1}))

    def covered_by_need(self, live: tuple[str, ...]) -> dict[str, int]:
        """Per need: the quantity its matches in a `live` status cover."""
        covered: dict[str, int] = {}
        for m in self.db.matches.find(
            {"status": {"$in": list(live)}}, {"need_id": 1, "quantity": 1}
        ):
            covered[m["need_id"]] = covered.get(m["need_id"], 0) + m["quantity"]
        return covered

    def delivered_by_offer(self, offer_id: str | None = None) -> dict[str, dict]:
        """Per offer (or for one): quantity accepted (fulfilled included) and quantity
        fulfilled through matches."""
        query: dict = {"status": {"$in": list(lifecycles.AGREED_MATCH)}}
        if offer_id:
            query["offer_id"] = offer_id
        totals: dict[str, dict] = {}
        for m in self.db.matches.find(query):
            t = totals.setdefault(m["offer_id"], {"accepted": 0, "fulfilled": 0, "matches": 0})
            t["matches"] += 1
            t["accepted"] += m["quantity"]
            if m["status"] == "fulfilled":
                t["fulfilled"] += m.get("delivered") or m["quantity"]  # as reported
        return totals

    def counts(self) -> dict:
        return {
            "needs": self.count_by("needs", "status", lifecycles.NEED_STATUSES),
            "offers": self.count_by("offers", "status", lifecycles.OFFER_STATUSES),
        }
