"""Where the slot index meets the rules: a need's candidate offers, the offer as it stands
when it is about to be asked, and a reservation that follows it.

These are the only reads of MatchingStore that consult the matching rules; the modules
that store (read models, slots, reservations, answer records) decide nothing.
"""

import heapq
from datetime import date

from tilts_contracts.taxonomy import NATIONWIDE
from tilts_runtime.store import VERSION

from . import rules
from .slots import offer_of, slot_key

# How many candidates a need's round ranks. A need is met by one to a few offers; the
# hundred freest leave ample room for responsiveness and fairness to choose among, while
# every slot more is read for every need (on NX-27017 ~0.1 ms each): at 200, a round on a
# large wall read about twice as many.
CANDIDATE_POOL = 100


class Candidates:
    """A mixin of MatchingStore, over its slot index and its offers."""

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
        found: dict[str, dict] = {}
        for slot in self._freest_slots(need, pool):
            if slot["offer_id"] in found or slot["organisation_id"] in exclude_orgs:
                continue  # the same offer through its other region, or not to be asked
            described = offer_of(slot)
            if rules.is_candidate(described, need, day):
                found[slot["offer_id"]] = described
                if len(found) == pool:
                    break
        return list(found.values())

    def _freest_slots(self, need: dict, pool: int):
        """The slots of the need's domain in its region and nationwide, freest first."""
        languages = list(need.get("languages") or [])
        keys = dict.fromkeys(slot_key(need["domain"], r) for r in (need["region"], NATIONWIDE))
        page = max(pool // len(keys), 1)  # the keys' first pages together fill the pool
        return heapq.merge(
            *(self.slots_by_free(key, languages, page) for key in keys),
            key=lambda s: (-s["free"], s["_id"]),
        )

    def offer_if_candidate(self, described: dict, need: dict, today: str) -> dict | None:
        """The offer a candidate slot described, if as it stands now it still meets the
        need; a slot found behind its offer (or left by an offer matching no longer holds)
        is brought level on the way, so it misleads no later round."""
        offer = self.find_offer(described["_id"])
        if offer is None:
            self.drop_slots(described["_id"])
            return None
        if offer[VERSION] > described[VERSION]:
            self.sync_slots(offer, prune=True)
        return offer if rules.is_candidate(offer, need, date.fromisoformat(today)) else None

    def reserve_up_to(
        self, offer: dict, need: dict, today: str, wanted: int
    ) -> tuple[int, dict | None]:
        """Reserve as much of `wanted` as the offer has free, reading it again when another
        worker took part of it meanwhile: how much was reserved (0: none left for us), and
        the offer as that reservation left it."""
        for _ in range(5):
            quantity = min(wanted, offer["remaining"])
            reserved = self.reserve(offer["_id"], quantity) if quantity > 0 else None
            if reserved is not None:
                return quantity, reserved
            offer = self.find_offer(offer["_id"])
            if offer is None or not rules.is_candidate(offer, need, date.fromisoformat(today)):
                return 0, None
        return 0, None
