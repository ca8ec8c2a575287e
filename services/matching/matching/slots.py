"""The candidate-slot index: where matching looks for the offers that may meet a need.

One slot per (offer, region), keyed `domain|region`, with the offer's free capacity.
Finding the offers for a need is then one equality on a scalar key, sorted by free
capacity, per region the need can be served from (its own and nationwide): an index range
read whatever the number of offers, on MongoDB and on NX-27017 alike (NX-27017 scans for
equality on an array field, `$in` on the key, or string ranges). A slot carries every
field the rules and the score read, so a need's candidates are ranked from slots alone,
and only the offers about to be asked are read. The offer stays the truth: each slot is a
copy of the offer at one `_version`, written after the offer and never over a newer copy,
and a candidate's offer is read and checked before anyone is asked, so a stale slot can
cost a skipped candidate but never a request or a reservation the offer does not allow.
"""

from collections.abc import Iterator

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from tilts_runtime.store import VERSION

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


class SlotIndex:
    """The slots of MatchingStore (a mixin: `self.db` is matching's database)."""

    def index_slots(self) -> None:
        self.db.offer_slots.create_index([("slot", ASCENDING), ("free", DESCENDING)])
        # the key alone too: NX-27017 adds an array-membership test to an equality, which
        # defeats every index, unless the field has an index named after it alone (on
        # MongoDB this one is merely redundant)
        self.db.offer_slots.create_index([("slot", ASCENDING)])
        self.db.offer_slots.create_index([("offer_id", ASCENDING)])

    def slots_by_free(self, key: str, languages: list[str], page: int) -> Iterator[dict]:
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

    def drop_slots(self, offer_id: str) -> None:
        """Forget the slots of an offer matching no longer holds."""
        self.db.offer_slots.delete_many({"offer_id": offer_id})

    def _put_slot(self, slot: dict) -> None:
        older = {"_id": slot["_id"], "version": {"$lt": slot["version"]}}
        if self.db.offer_slots.replace_one(older, slot).matched_count:
            return
        try:
            self.db.offer_slots.insert_one(slot)
        except DuplicateKeyError:  # it is there: at our version or newer, or written just now
            self.db.offer_slots.replace_one(older, slot)

    def sync_slots_of(self, offer_id: str) -> None:
        """After a write to an offer: copy the offer as it now is (our write or a later one)."""
        offer = self.db.offers.find_one({"_id": offer_id})
        if offer is not None:
            self.sync_slots(offer)

    def sync_all_slots(self) -> None:
        """Bring every offer's slots level with the offer, at start-up.

        Builds slots for offers stored before slots existed (an upgraded deployment), and
        repairs what a worker that died between an offer's write and its slots' left behind.
        """
        held = self._held_slots()
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
        self._insert_slots(missing)
        for offer_id, slots in held.items():  # slots of an offer matching does not hold
            if self.db.offers.find_one({"_id": offer_id}) is None:  # (not one the scan
                for slot_id in slots:  # merely went past)
                    self.db.offer_slots.delete_one({"_id": slot_id})

    def _held_slots(self) -> dict[str, dict[str, int | None]]:
        """Each offer's slots as stored: their versions, None for one written before slots
        carried the offer's regions (such a slot is rewritten whole)."""
        held: dict[str, dict[str, int | None]] = {}
        for slot in self.db.offer_slots.find({}, {"offer_id": 1, "version": 1, "regions": 1}):
            version = slot["version"] if "regions" in slot else None
            held.setdefault(slot["offer_id"], {})[slot["_id"]] = version
        return held

    def _insert_slots(self, slots: list[dict]) -> None:
        for start in range(0, len(slots), 1000):
            chunk = slots[start : start + 1000]
            try:
                self.db.offer_slots.insert_many(chunk, ordered=False)
            except BulkWriteError:  # another worker is building them too
                for slot in chunk:
                    self._put_slot(slot)
