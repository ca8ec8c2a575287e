"""What a starting worker brings up to date."""

# the compound index the candidate query used before offer slots
RETIRED_INDEX = "domain_1_status_1_org_status_1_regions_1_remaining_1"


class Upkeep:
    """A mixin of MatchingStore (`self.db` is matching's database)."""

    def migrate(self) -> None:
        """Bring data an older version stored up to this one's; safe on every start."""
        self.sync_all_slots()
        self.queue_all_needs()
        self.backfill_org_stats()
        if RETIRED_INDEX in self.db.offers.index_information():
            # candidates come from offer_slots now; this one only slowed every offer write
            self.db.offers.drop_index(RETIRED_INDEX)
