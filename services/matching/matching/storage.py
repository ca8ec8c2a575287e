"""Matching's database, one part per module: the read models of organisations, offers
and needs (`readmodels`), the needs waiting for capacity in priority order (`waiting`),
the candidate-slot index (`slots`), capacity reservations and matches (`reservations`),
the offers whose freed capacity waits to be offered (`freed`),
answer records (`orgstats`), retention and erasure (`forgetting`), start-up upkeep and
the test clock (`upkeep`). `candidates` is where the slot index meets the matching rules.
"""

from tilts_runtime.store import Store

from .candidates import CANDIDATE_POOL, Candidates
from .forgetting import Forgetting
from .freed import FreedCapacity
from .orgstats import OrgStats
from .readmodels import ReadModels, with_open_ends
from .reservations import Reservations
from .slots import SlotIndex, slots_of
from .upkeep import Upkeep
from .waiting import WaitingNeeds

__all__ = ["CANDIDATE_POOL", "MatchingStore", "slots_of", "with_open_ends"]


class MatchingStore(
    ReadModels,
    WaitingNeeds,
    SlotIndex,
    Candidates,
    Reservations,
    FreedCapacity,
    OrgStats,
    Forgetting,
    Upkeep,
    Store,
):
    """The store a matching worker is given: every part, over one database."""

    outbox_collections = ("matches", "needs")

    def ensure_indexes(self):
        super().ensure_indexes()
        self.index_read_models()
        self.index_waiting()
        self.index_slots()
        self.index_reservations()
        self.index_freed()
        self.migrate()
