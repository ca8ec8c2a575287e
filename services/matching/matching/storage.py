"""Matching's database: its read model of organisations, offers and needs, and matches.

Reservations are single conditional updates (`remaining >= q`, `covered <= quantity - q`),
so any number of workers can reserve at once without over-allocating.

Candidates are found through `offer_slots`, an index kept beside the offers: one slot per
(offer, region), keyed `domain|region`, with the offer's free capacity. Finding the offers
for a need is then one equality on a scalar key, sorted by free capacity, per region the
need can be served from (its own and nationwide): an index range read whatever the number
of offers, on MongoDB and on NX-27017 alike (NX-27017 scans for equality on an array field,
`$in` on the key, or string ranges). A slot carries every field the rules and the score
read, so a need's candidates are ranked from slots alone, and only the offers about to be
asked are read. The offer stays the truth: each slot is a copy of the offer at one
`_version`, written after the offer and never over a newer copy, and a candidate's offer is
read and checked before anyone is asked, so a stale slot can cost a skipped candidate but
never a request or a reservation the offer does not allow.
"""

import heapq
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from tilts_contracts.clock import iso, parse_iso
from tilts_contracts.messaging import VERSION, Store
from tilts_contracts.taxonomy import NATIONWIDE

from . import domain

# How many candidates a need's round ranks. A need is met by one to a few offers; the
# hundred freest leave ample room for responsiveness and fairness to choose among, while
# every slot more is read for every need (on NX-27017 ~0.1 ms each): at 200, a round on a
# large wall read about twice as many.
CANDIDATE_POOL = 100
SLOT_FIELDS = (
    "organisation_id",
    "domain",
    "status",
    "org_status",
    "remaining",
    "regions",
    "languages",
    "available_from",
    "available_until",
)


# how long a claim to ask an organisation may stand with no match behind it
CLAIM_TTL = timedelta(minutes=1)

# the compound index the candidate query used before offer slots
RETIRED_INDEX = "domain_1_status_1_org_status_1_regions_1_remaining_1"


def hours_between(start: str, end: str) -> float:
    return (parse_iso(end) - parse_iso(start)).total_seconds() / 3600


# an open-ended availability is stored as the widest dates, so every offer has both ends
OPEN_START, OPEN_END = "0001-01-01", "9999-12-31"


def with_open_ends(offer: dict) -> dict:
    return {
        **offer,
        "available_from": offer.get("available_from") or OPEN_START,
        "available_until": offer.get("available_until") or OPEN_END,
    }


def slot_key(domain_slug: str, region: str) -> str:
    return f"{domain_slug}|{region}"


def slots_of(offer: dict) -> dict[str, dict]:
    """The candidate slots an offer should have: one per region, a copy of this version.

    `free` is the remaining capacity while the offer is active and its organisation
    verified, else 0, so offers that cannot be matched sit outside the range read.
    """
    live = offer.get("status") == "active" and offer.get("org_status") == "verified"
    slots = {}
    for region in dict.fromkeys(offer.get("regions") or []):
        slot_id = f"{offer['_id']}|{region}"
        slots[slot_id] = {
            "_id": slot_id,
            "offer_id": offer["_id"],
            "region": region,
            "slot": slot_key(offer["domain"], region),
            **{k: offer.get(k) for k in SLOT_FIELDS},
            "free": max(offer.get("remaining", 0), 0) if live else 0,
            "version": offer[VERSION],
        }
    return slots


def offer_of(slot: dict) -> dict:
    """What a live slot says of its offer: the fields the rules and the score read."""
    described = {k: slot.get(k) for k in SLOT_FIELDS}
    described.update(
        _id=slot["offer_id"],
        regions=slot.get("regions") or [slot["region"]],  # slots written before they had it
        remaining=slot["free"],
        **{VERSION: slot["version"]},
    )
    return described


class MatchingStore(Store):
    outbox_collections = ("matches", "needs")

    def ensure_indexes(self):
        super().ensure_indexes()
        self.db.offers.create_index([("organisation_id", ASCENDING)])
        self.db.offer_slots.create_index([("slot", ASCENDING), ("free", DESCENDING)])
        # the key alone too: NX-27017 adds an array-membership test to an equality, which
        # defeats every index, unless the field has an index named after it alone (on
        # MongoDB this one is merely redundant)
        self.db.offer_slots.create_index([("slot", ASCENDING)])
        self.db.offer_slots.create_index([("offer_id", ASCENDING)])
        self.db.asks.create_index([("need_id", ASCENDING)])
        self.db.needs.create_index([("domain", ASCENDING), ("status", ASCENDING)])
        self.db.matches.create_index([("need_id", ASCENDING)])
        self.db.matches.create_index([("organisation_id", ASCENDING)])
        self.db.matches.create_index([("status", ASCENDING), ("respond_by", ASCENDING)])
        self.db.matches.create_index([("settling", ASCENDING)])
        self.sync_all_slots()
        self.backfill_org_stats()
        if RETIRED_INDEX in self.db.offers.index_information():
            # candidates come from offer_slots now; this one only slowed every offer write
            self.db.offers.drop_index(RETIRED_INDEX)

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
        for offer in self.db.offers.find({"organisation_id": doc["_id"]}):
            self.sync_slots(offer)
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
                    },
                    # a worker settling one of these matches read it before: make its
                    # write stale, so it reads again instead of putting the contact back
                    "$inc": {VERSION: 1},
                },
            )
        return True

    def organisation(self, org_id: str) -> dict | None:
        return self.db.organisations.find_one({"_id": org_id})

    def domains_offered_by(self, org_id: str) -> set[str]:
        offers = self.db.offers.find({"organisation_id": org_id}, {"domain": 1})
        return {o["domain"] for o in offers}

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
        self.sync_slots(doc)
        # the organisation may have been verified while we inserted: its handler writes the
        # organisation before updating offers, we insert before reading it, so one of the
        # two always sees the other's write and the offer never keeps a stale status
        now = (self.organisation(offer["organisation_id"]) or {}).get("status", "unknown")
        if now != doc["org_status"]:
            self.db.offers.update_one(
                {"_id": doc["_id"]}, {"$set": {"org_status": now}, "$inc": {VERSION: 1}}
            )
            self._sync_slots_of(doc["_id"])
        return True

    def save_offer(self, offer: dict) -> bool:
        stored = {**offer, VERSION: offer[VERSION] + 1}
        result = self.db.offers.replace_one({"_id": offer["_id"], VERSION: offer[VERSION]}, stored)
        if result.matched_count != 1:
            return False
        self.sync_slots(stored, prune=True)  # regions or domain may have changed
        return True

    def candidate_slots(
        self,
        need: dict,
        today: str,
        pool: int = CANDIDATE_POOL,
        exclude_orgs: frozenset[str] | set[str] = frozenset(),
    ) -> list[dict]:
        """The offers that meet the need's hard rules as their slots describe them, the most
        free capacity first, one per offer, leaving out the organisations in `exclude_orgs`
        before the pool is filled (so those already asked never crowd out the ones that may
        still be).

        Each is its slot's copy of the offer (`_id` the offer's, `remaining` its free
        capacity at the slot's version): enough to rank them without reading a single
        offer, which keeps a need's cost flat however large the wall grows. A slot may be
        behind its offer, so whoever acts on one reads the offer first
        (`offer_if_candidate`); capacity is only ever reserved on the offer itself.

        At most `pool` of them are returned: with thousands of offers for one domain and
        region, scoring all would make every need as slow as the whole wall is large.
        Slots are read in order of free capacity from the need's region and nationwide, a
        page at a time, and checked against the rules, so an eligible offer is never missed
        because those above it did not fit.
        """
        day = date.fromisoformat(today)
        languages = list(need.get("languages") or [])
        keys = dict.fromkeys(slot_key(need["domain"], r) for r in (need["region"], NATIONWIDE))
        page = max(pool // len(keys), 1)  # the keys' first pages together fill the pool
        slots = heapq.merge(
            *(self._slots_by_free(key, languages, page) for key in keys),
            key=lambda s: (-s["free"], s["_id"]),
        )
        found: dict[str, dict] = {}
        for slot in slots:
            if slot["offer_id"] in found or slot["organisation_id"] in exclude_orgs:
                continue  # the same offer through its other region, or not to be asked
            described = offer_of(slot)
            if domain.is_candidate(described, need, day):
                found[slot["offer_id"]] = described
                if len(found) == pool:
                    break
        return list(found.values())

    def offer_if_candidate(self, described: dict, need: dict, today: str) -> dict | None:
        """The offer a candidate slot described, if as it stands now it still meets the
        need; a slot found behind its offer (or left by an offer matching no longer holds)
        is brought level on the way, so it misleads no later round."""
        offer = self.find_offer(described["_id"])
        if offer is None:
            self.db.offer_slots.delete_many({"offer_id": described["_id"]})
            return None
        if offer[VERSION] > described[VERSION]:
            self.sync_slots(offer, prune=True)
        return offer if domain.is_candidate(offer, need, date.fromisoformat(today)) else None

    def _slots_by_free(self, key: str, languages: list[str], page: int) -> Iterator[dict]:
        """The live slots of one key, most free capacity first, read a page at a time.

        Each page reads from the last free value seen, skipping the slots already read at
        that value: one equality and one range on the index, never an offset from the top.
        """
        query: dict = {"slot": key}
        if languages:
            query["languages"] = {"$in": languages}
        bound, skip = None, 0
        while True:
            free = {"$gt": 0} if bound is None else {"$gt": 0, "$lte": bound}
            docs = list(
                self.db.offer_slots.find({**query, "free": free})
                .sort([("free", DESCENDING), ("_id", ASCENDING)])
                .skip(skip)
                .limit(page)
            )
            yield from docs
            if len(docs) < page:
                return
            last = docs[-1]["free"]
            skip = (skip if last == bound else 0) + sum(1 for d in docs if d["free"] == last)
            bound = last

    # -- the candidate slots, kept in step with the offers -----------------------------
    def sync_slots(self, offer: dict, prune: bool = False) -> None:
        """Bring an offer's slots up to this version of it; a slot already at a newer
        version stays, so writers finishing out of order never go back in time.

        `prune` also removes slots of regions the offer no longer has.
        """
        wanted = slots_of(offer)
        for slot in wanted.values():
            self._put_slot(slot)
        if prune:
            for old in self.db.offer_slots.find({"offer_id": offer["_id"]}, {"version": 1}):
                if old["_id"] not in wanted:
                    self.db.offer_slots.delete_one(
                        {"_id": old["_id"], "version": {"$lt": offer[VERSION]}}
                    )

    def _put_slot(self, slot: dict) -> None:
        older = {"_id": slot["_id"], "version": {"$lt": slot["version"]}}
        if self.db.offer_slots.replace_one(older, slot).matched_count:
            return
        try:
            self.db.offer_slots.insert_one(slot)
        except DuplicateKeyError:  # it is there: at our version or newer, or written just now
            self.db.offer_slots.replace_one(older, slot)

    def _sync_slots_of(self, offer_id: str) -> None:
        """After a write to an offer: copy the offer as it now is (our write or a later one)."""
        offer = self.find_offer(offer_id)
        if offer is not None:
            self.sync_slots(offer)

    def sync_all_slots(self) -> None:
        """Bring every offer's slots level with the offer, at start-up.

        Builds slots for offers stored before slots existed (an upgraded deployment), and
        repairs what a worker that died between an offer's write and its slots' left behind.
        """
        held: dict[str, dict[str, int | None]] = {}
        for slot in self.db.offer_slots.find({}, {"offer_id": 1, "version": 1, "regions": 1}):
            # a slot written before slots carried the offer's regions is rewritten whole
            version = slot["version"] if "regions" in slot else None
            held.setdefault(slot["offer_id"], {})[slot["_id"]] = version
        missing = []
        for offer in self.db.offers.find({}):
            wanted = slots_of(offer)
            have = held.pop(offer["_id"], {})
            if have == {slot_id: offer[VERSION] for slot_id in wanted}:
                continue
            if None in have.values():
                self.db.offer_slots.delete_many(
                    {"offer_id": offer["_id"], "regions": {"$exists": False}}
                )
            if have:
                self.sync_slots(offer, prune=True)
            else:
                missing.extend(wanted.values())
        for start in range(0, len(missing), 1000):
            chunk = missing[start : start + 1000]
            try:
                self.db.offer_slots.insert_many(chunk, ordered=False)
            except BulkWriteError:  # another worker is building them too
                for slot in chunk:
                    self._put_slot(slot)
        for offer_id, slots in held.items():  # slots of an offer matching does not hold
            if self.find_offer(offer_id) is None:  # (not one the scan merely went past)
                for slot_id in slots:
                    self.db.offer_slots.delete_one({"_id": slot_id})

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
            {
                "_id": offer_id,
                "status": "active",
                "org_status": "verified",  # as the organisation stands now, not when read
                "remaining": {"$gte": quantity},
            },
            {"$inc": {"remaining": -quantity, VERSION: 1}},
        )
        if result.modified_count != 1:
            return False
        self._sync_slots_of(offer_id)
        return True

    def reserve_up_to(self, offer: dict, need: dict, today: str, wanted: int) -> int:
        """Reserve as much of `wanted` as the offer has free, reading it again when another
        worker took part of it meanwhile; how much was reserved (0: none left for us)."""
        for _ in range(5):
            quantity = min(wanted, offer["remaining"])
            if quantity > 0 and self.reserve(offer["_id"], quantity):
                return quantity
            offer = self.find_offer(offer["_id"])
            if offer is None or not domain.is_candidate(offer, need, date.fromisoformat(today)):
                return 0
        return 0

    def give_back(self, match: dict) -> None:
        """Return what an ended match held to its offer and its need, each once however
        often this runs (each records the match it took back), so what a worker that died
        midway left half done can simply be done again."""
        given = f"given_back.{match['_id']}"
        quantity = match["quantity"]
        self.db.offers.update_one(
            {"_id": match["offer_id"], given: {"$exists": False}},
            {"$inc": {"remaining": quantity, VERSION: 1}, "$set": {given: quantity}},
        )
        self._sync_slots_of(match["offer_id"])
        self.release_ask(match["need_id"], match["organisation_id"])
        self.db.needs.update_one(
            {"_id": match["need_id"], given: {"$exists": False}},
            {"$inc": {"covered": -quantity, VERSION: 1}, "$set": {given: quantity}},
        )

    def left_settling(self, before_iso: str, limit: int = 100) -> list[dict]:
        """Matches that ended but were not given back and announced: their worker died."""
        query = {"settling": True, "updated_at": {"$lt": before_iso}}
        return list(self.db.matches.find(query).limit(limit))

    def release(self, offer_id: str, quantity: int) -> None:
        self.db.offers.update_one({"_id": offer_id}, {"$inc": {"remaining": quantity, VERSION: 1}})
        self._sync_slots_of(offer_id)

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

    def refresh_offer_text(self, offer_id: str, title: str, description: str | None) -> None:
        """Carry an offer's current free text into the copies its matches hold."""
        self.db.matches.update_many(
            {"offer_id": offer_id},
            {
                "$set": {"offer.title": title, "offer.description": description},
                "$inc": {VERSION: 1},  # never overwritten by a write from an older read
            },
        )

    # -- one live request per organisation and need, even across concurrent rounds ----------
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

    def repair_need(self, need_id: str) -> None:
        """Undo what a round that died midway left on a need: claims with no live match
        behind them, and coverage counted for proposals that were never stored."""
        live = self.live_matches(need_id)
        asked = {m["organisation_id"] for m in live}
        for claim in self.db.asks.find({"need_id": need_id}):
            if claim["organisation_id"] not in asked:
                self.db.asks.delete_one({"_id": claim["_id"]})
        covered = sum(m["quantity"] for m in live)  # what cover() counts, give_back() not
        # the ended matches are counted out now: one still settling is not given back twice
        ended = {
            f"given_back.{m['_id']}": m["quantity"]
            for m in self.matches_of_need(need_id)
            if domain.releases(m["status"])
        }
        self.db.needs.update_one(
            {"_id": need_id}, {"$set": {"covered": covered, **ended}, "$inc": {VERSION: 1}}
        )

    def live_matches(self, need_id: str, org_id: str | None = None) -> list[dict]:
        """A need's proposed, accepted and fulfilled matches (of one organisation)."""
        query = {"need_id": need_id, "status": {"$in": list(domain.LIVE)}}
        if org_id:
            query["organisation_id"] = org_id
        return list(self.db.matches.find(query))

    def release_ask(self, need_id: str, org_id: str) -> None:
        """The organisation's request for the need ended (or was never made)."""
        self.db.asks.delete_one({"_id": f"{need_id}|{org_id}"})

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

    # -- each organisation's answer record, kept as counters ------------------------------
    # Scoring reads them for up to a pool of organisations per need, so they are counted as
    # matches move (one small document per organisation) instead of scanned from the whole
    # history each time. They feed a score, not a promise: a worker dying between a match's
    # write and its count leaves the score a little off, never a need or an offer wrong.
    def count_asked(self, org_id: str, day: str) -> None:
        self.db.org_stats.update_one(
            {"_id": org_id}, {"$inc": {"asked": 1, f"days.{day}": 1}}, upsert=True
        )

    def count_outcome(self, match: dict) -> None:
        """Count a match's new state: accepted, declined or expired (and how fast)."""
        status = match["status"]
        if status not in ("accepted", "declined", "expired"):
            return
        inc: dict = {status: 1}
        if match.get("answered_at"):
            inc["answered"] = 1
            inc["answer_hours"] = hours_between(match["created_at"], match["answered_at"])
        self.db.org_stats.update_one({"_id": match["organisation_id"]}, {"$inc": inc}, upsert=True)

    def organisation_stats(self, org_ids: set[str], since_day: str) -> dict[str, dict]:
        """Each organisation's answer record, for responsiveness and fairness, in one read."""
        stats: dict[str, dict] = {}
        for doc in self.db.org_stats.find({"_id": {"$in": sorted(org_ids)}}):
            answered = doc.get("answered", 0)
            stats[doc["_id"]] = {
                "asked": doc.get("asked", 0),
                "accepted": doc.get("accepted", 0),
                "declined": doc.get("declined", 0),
                "expired": doc.get("expired", 0),
                "recent": sum(n for day, n in (doc.get("days") or {}).items() if day >= since_day),
                "answer_hours": doc.get("answer_hours", 0) / answered if answered else None,
            }
        return stats

    def backfill_org_stats(self) -> None:
        """Build the counters from the matches stored before they were kept (an upgrade)."""
        if self.db.org_stats.find_one({}) is not None or self.db.matches.find_one({}) is None:
            return
        counters: dict[str, dict] = {}
        fields = {"organisation_id": 1, "status": 1, "created_at": 1, "answered_at": 1}
        for m in self.db.matches.find({}, fields):
            c = counters.setdefault(m["organisation_id"], {"asked": 0, "days": {}})
            c["asked"] += 1
            day = m["created_at"][:10]
            c["days"][day] = c["days"].get(day, 0) + 1
            status = "accepted" if m["status"] == "fulfilled" else m["status"]
            if status in ("accepted", "declined", "expired"):
                c[status] = c.get(status, 0) + 1
            if m.get("answered_at"):
                c["answered"] = c.get("answered", 0) + 1
                hours = hours_between(m["created_at"], m["answered_at"])
                c["answer_hours"] = c.get("answer_hours", 0) + hours
        for org_id, c in counters.items():
            try:
                self.db.org_stats.insert_one({"_id": org_id, **c})
            except DuplicateKeyError:
                pass  # another worker starting at the same time built it

    def counts(self) -> dict:
        statuses = ("proposed", "accepted", "declined", "expired", "fulfilled", "cancelled")
        return {
            "matches": {s: self.db.matches.count_documents({"status": s}) for s in statuses},
            "parked_events": self.db.parked_events.count_documents({}),
        }
