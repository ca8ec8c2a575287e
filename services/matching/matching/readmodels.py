"""Matching's copies of what the registry and pledges own: organisations, offers, needs.

Each copy keeps the newest revision its events carried. An offer also holds the capacity
matching allocates (`remaining`), a need the quantity live proposals cover (`covered`).
"""

from collections.abc import Callable

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_runtime.store import VERSION, StaleWrite, retry_stale

from . import privacy

# an open-ended availability is stored as the widest dates, so every offer has both ends
OPEN_START, OPEN_END = "0001-01-01", "9999-12-31"


def with_open_ends(offer: dict) -> dict:
    return {
        **offer,
        "available_from": offer.get("available_from") or OPEN_START,
        "available_until": offer.get("available_until") or OPEN_END,
    }


class ReadModels:
    """A mixin of MatchingStore (`self.db` is matching's database)."""

    def index_read_models(self) -> None:
        self.db.offers.create_index([("organisation_id", ASCENDING)])

    # -- organisations -------------------------------------------------------------
    def record_organisation(self, org: dict) -> bool:
        """Keep the newest revision; True when this one changed what we hold. An erased
        organisation is forgotten in every copy (again on a redelivery: it is idempotent)."""
        doc = {k: org.get(k) for k in ("name", "email", "preferred_language", "status", "revision")}
        doc["_id"] = org["id"]
        known = self.organisation(doc["_id"])  # its name and address, to find them again
        changed = self._keep_newest(doc)
        if changed:
            self.db.offers.update_many(
                {"organisation_id": doc["_id"]},
                {"$set": {"org_status": doc["status"]}, "$inc": {VERSION: 1}},  # stale saves retry
            )
            for offer in self.db.offers.find({"organisation_id": doc["_id"]}):
                self.sync_slots(offer)
        if org.get("erased"):
            self.forget_organisation(doc, known)
        return changed

    def _keep_newest(self, doc: dict) -> bool:
        try:
            self.db.organisations.insert_one(doc)
        except DuplicateKeyError:
            result = self.db.organisations.replace_one(
                {"_id": doc["_id"], "revision": {"$lt": doc["revision"]}}, doc
            )
            return result.modified_count == 1
        return True

    def organisation(self, org_id: str) -> dict | None:
        return self.db.organisations.find_one({"_id": org_id})

    def offers_of(self, org_id: str) -> list[str]:
        """The ids of an organisation's offers."""
        return [o["_id"] for o in self.db.offers.find({"organisation_id": org_id}, {"_id": 1})]

    # -- offers, with the capacity matching allocates --------------------------------
    def get_offer(self, offer_id: str) -> dict:
        return self.get_doc("offers", offer_id, "offer")

    def find_offer(self, offer_id: str) -> dict | None:
        return self.db.offers.find_one({"_id": offer_id})

    def add_offer(self, offer: dict) -> bool:
        """Hold a new offer (`remaining` its whole capacity); False if it is held already."""
        org = self.organisation(offer["organisation_id"]) or {}
        if org.get("status") == "erased":  # its erasure overtook the pledge
            offer = privacy.offer_forgotten(offer) or offer
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
        self.sync_slots(doc)
        # the organisation may have been verified while we inserted: its handler writes the
        # organisation before updating offers, we insert before reading it, so one of the
        # two always sees the other's write and the offer never keeps a stale status
        now = (self.organisation(offer["organisation_id"]) or {}).get("status", "unknown")
        if now != doc["org_status"]:
            self.db.offers.update_one(
                {"_id": doc["_id"]}, {"$set": {"org_status": now}, "$inc": {VERSION: 1}}
            )
            self.sync_slots_of(doc["_id"])
        return True

    def save_offer(self, offer: dict) -> dict | None:
        """Write an offer over the version it was read at; None if it moved meanwhile.

        The offer keeps the revision its owner's events gave it: only `_version` counts up.
        """
        stored = {**offer, VERSION: offer[VERSION] + 1}
        result = self.db.offers.replace_one({"_id": offer["_id"], VERSION: offer[VERSION]}, stored)
        if result.matched_count != 1:
            return None
        self.sync_slots(stored, prune=True)  # regions or domain may have changed
        return stored

    def change_offer(self, offer_id: str, decide: Callable[[dict], dict | None]) -> dict | None:
        """Load an offer, let `decide` make its next state (None: no change) and save it,
        again from the load while another writer got there first. The offer as it is
        now, or None when matching does not hold it."""

        def attempt():
            held = self.find_offer(offer_id)
            if held is None:
                return None
            new = decide(held)
            if new is None:
                return held
            stored = self.save_offer(new)
            if stored is None:
                raise StaleWrite(offer_id)
            return stored

        return retry_stale(attempt)

    # -- needs ---------------------------------------------------------------------
    def get_need(self, need_id: str) -> dict:
        return self.get_doc("needs", need_id, "need")

    def add_need(self, need: dict) -> dict | None:
        """Hold a new need, nothing covered yet (queued: it waits); None if held already."""
        doc = {
            **need,
            "_id": need["id"],
            "covered": 0,
            "gap_reported": -1,
            "source_revision": need["revision"],
        }
        doc.pop("id")
        try:
            return self.insert("needs", doc)
        except DuplicateKeyError:
            return None
