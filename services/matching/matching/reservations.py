"""Capacity held for needs, and the matches that hold it.

Reservations are single conditional updates (`remaining >= q`, `covered <= quantity - q`),
so any number of workers can reserve at once without over-allocating. A claim (`asks`)
keeps one live request per organisation and need, even across rounds running at once.
"""

from datetime import datetime, timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import iso
from tilts_contracts.lifecycles import LIVE_MATCH, MATCH_STATUSES, OPEN_MATCH, WAITING_NEED
from tilts_runtime.store import VERSION

# how long a claim to ask an organisation may stand with no match behind it
CLAIM_TTL = timedelta(minutes=1)


class Reservations:
    """A mixin of MatchingStore (`self.db` is matching's database)."""

    def index_reservations(self) -> None:
        self.db.asks.create_index([("need_id", ASCENDING)])
        self.db.matches.create_index([("need_id", ASCENDING)])
        self.db.matches.create_index([("organisation_id", ASCENDING)])
        self.db.matches.create_index([("status", ASCENDING), ("respond_by", ASCENDING)])
        self.db.matches.create_index([("settling", ASCENDING)])

    # -- capacity of offers and needs ----------------------------------------------
    def reserve(self, offer_id: str, quantity: int) -> dict | None:
        """Take `quantity` of an offer's free capacity: the offer as it is after, or None
        when it has not that much free (or is no longer active and verified)."""
        offer = self.db.offers.find_one_and_update(
            {
                "_id": offer_id,
                "status": "active",
                "org_status": "verified",  # as the organisation stands now, not when read
                "remaining": {"$gte": quantity},
            },
            {"$inc": {"remaining": -quantity, VERSION: 1}},
            return_document=ReturnDocument.AFTER,
        )
        if offer is not None:
            self.sync_slots(offer)
        return offer

    def release(self, offer_id: str, quantity: int) -> None:
        self.db.offers.update_one({"_id": offer_id}, {"$inc": {"remaining": quantity, VERSION: 1}})
        self.sync_slots_of(offer_id)

    def cover(self, need_id: str, quantity: int, of: int) -> bool:
        """Count `quantity` more of a need of `of` as covered, never past `of`; the cover
        that fills the need takes it out of its queue in the same write."""
        waiting = {"_id": need_id, "status": {"$in": list(WAITING_NEED)}}
        filled = self.db.needs.update_one(
            {**waiting, "quantity": of, "covered": of - quantity},
            {"$inc": {"covered": quantity, VERSION: 1}, "$set": {"queue": None}},
        )
        if filled.modified_count:
            return True
        result = self.db.needs.update_one(
            {**waiting, "covered": {"$lte": of - quantity}},
            {"$inc": {"covered": quantity, VERSION: 1}},
        )
        return result.modified_count == 1

    def give_back(self, match: dict) -> dict | None:
        """Return what an ended match held to its offer and its need, each once however
        often this runs (each records the match it took back), so what a worker that died
        midway left half done can simply be done again. The need waits again, queued.
        The offer as this gave it back, or None if it was given back before."""
        given = f"given_back.{match['_id']}"
        quantity = match["quantity"]
        offer = self.db.offers.find_one_and_update(
            {"_id": match["offer_id"], given: {"$exists": False}},
            {"$inc": {"remaining": quantity, VERSION: 1}, "$set": {given: quantity}},
            return_document=ReturnDocument.AFTER,
        )
        if offer is None:  # given back already: bring its slots level all the same
            self.sync_slots_of(match["offer_id"])
        else:
            self.sync_slots(offer)
        self.release_ask(match["need_id"], match["organisation_id"])
        need = self.db.needs.find_one_and_update(
            {"_id": match["need_id"], given: {"$exists": False}},
            {"$inc": {"covered": -quantity, VERSION: 1}, "$set": {given: quantity}},
            return_document=ReturnDocument.AFTER,
        )
        self.requeue(need or self.db.needs.find_one({"_id": match["need_id"]}))
        return offer

    def renew(self, offer_id: str, since: str) -> None:
        """An offer's capacity came back for the period begun at `since`: what matches
        fulfilled before then hold goes back to it, each match once however often this
        runs (as `give_back` does), by increments, so reservations made meanwhile stand."""
        spent = {"offer_id": offer_id, "status": "fulfilled", "updated_at": {"$lt": since}}
        for match in self.db.matches.find(spent, {"quantity": 1}):
            renewed = f"renewed_back.{match['_id']}"
            self.db.offers.update_one(
                {"_id": offer_id, renewed: {"$exists": False}},
                {
                    "$inc": {"remaining": match["quantity"], VERSION: 1},
                    "$set": {renewed: match["quantity"]},
                },
            )
        # from now on its counts are made after the renewal (pledges orders them so)
        self.db.offers.update_one(
            {
                "_id": offer_id,
                "$or": [{"renewed_through": None}, {"renewed_through": {"$lt": since}}],
            },
            {"$set": {"renewed_through": since}, "$inc": {VERSION: 1}},
        )
        self.sync_slots_of(offer_id)

    def reset_cover(self, need_id: str, covered: int, ended: dict[str, int]) -> None:
        """Set what a need's live proposals cover, its `ended` matches (id: quantity)
        counted as given back, so one still settling is not given back twice."""
        given = {f"given_back.{match_id}": q for match_id, q in ended.items()}
        need = self.db.needs.find_one_and_update(
            {"_id": need_id},
            {"$set": {"covered": covered, **given}, "$inc": {VERSION: 1}},
            return_document=ReturnDocument.AFTER,
        )
        self.requeue(need)

    # -- one live request per organisation and need, even across concurrent rounds ---
    def claim_ask(self, need_id: str, org_id: str, now: datetime) -> bool:
        """Claim the right to ask `org_id` about `need_id`; False while another round holds
        it. A claim no live match stands behind after a minute (its worker died between
        claiming and proposing) is taken over."""
        key = f"{need_id}|{org_id}"
        claim = {"_id": key, "need_id": need_id, "organisation_id": org_id, "at": iso(now)}
        try:
            self.db.asks.insert_one(claim)
            return True
        except DuplicateKeyError:
            pass
        if self.live_matches(need_id, org_id):
            return False
        stale = self.db.asks.delete_one({"_id": key, "at": {"$lt": iso(now - CLAIM_TTL)}})
        if stale.deleted_count != 1:
            return False
        return self.claim_ask(need_id, org_id, now)

    def release_ask(self, need_id: str, org_id: str) -> None:
        """The organisation's request for the need ended (or was never made)."""
        self.db.asks.delete_one({"_id": f"{need_id}|{org_id}"})

    def drop_claims_but(self, need_id: str, keep: set[str]) -> None:
        """Drop a need's claims, but those of the organisations in `keep`."""
        for claim in self.db.asks.find({"need_id": need_id}):
            if claim["organisation_id"] not in keep:
                self.db.asks.delete_one({"_id": claim["_id"]})

    # -- matches ---------------------------------------------------------------------
    def get_match(self, match_id: str) -> dict:
        return self.get_doc("matches", match_id, "match")

    def live_matches(self, need_id: str, org_id: str | None = None) -> list[dict]:
        """A need's proposed, accepted and fulfilled matches (of one organisation)."""
        query = {"need_id": need_id, "status": {"$in": list(LIVE_MATCH)}}
        if org_id:
            query["organisation_id"] = org_id
        return list(self.db.matches.find(query))

    def matches_of_need(self, need_id: str) -> list[dict]:
        return list(self.db.matches.find({"need_id": need_id}))

    def proposed(self, query: dict) -> list[dict]:
        return list(self.db.matches.find({**query, "status": "proposed"}))

    def cancelled(self, query: dict) -> list[dict]:
        return list(self.db.matches.find({**query, "status": "cancelled"}))

    def open_matches(self, query: dict) -> list[dict]:
        """Proposed or accepted: matches that still hold capacity for a need."""
        return list(self.db.matches.find({**query, "status": {"$in": list(OPEN_MATCH)}}))

    def due(self, now_iso: str, limit: int = 100) -> list[dict]:
        query = {"status": "proposed", "respond_by": {"$lte": now_iso}}
        return list(self.db.matches.find(query).limit(limit))

    def left_settling(self, before_iso: str, limit: int = 100) -> list[dict]:
        """Matches that ended but were not given back and announced: their worker died."""
        query = {"settling": True, "updated_at": {"$lt": before_iso}}
        return list(self.db.matches.find(query).limit(limit))

    def refresh_offer_text(self, offer: dict) -> None:
        """Carry an offer's current free text into the copies its matches hold."""
        text = {f"offer.{k}": offer.get(k) for k in ("title", "description", "unit")}
        self.db.matches.update_many(
            {"offer_id": offer["_id"]},
            {"$set": text, "$inc": {VERSION: 1}},  # never overwritten by a write from an older read
        )

    def counts(self) -> dict:
        return {
            "matches": self.count_by("matches", "status", MATCH_STATUSES),
            "parked_events": self.db.parked_events.count_documents({}),
        }
