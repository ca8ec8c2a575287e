"""Retention: a need's free text (description, case_ref) is kept RETENTION_DAYS after the
need was fulfilled, cancelled or left unmatched, then forgotten; its counts stay."""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider

from tilts_contracts import settings
from tilts_contracts.clock import iso
from tilts_runtime.store import Dispatch

from . import rules
from .storage import PledgeStore

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


def days_from(config: Mapping) -> int:
    """RETENTION_DAYS, a whole number of days from 1 (a century at most), or SystemExit
    saying why."""
    return settings.number(config, "RETENTION_DAYS")


class RetentionDays(DependencyProvider):
    """How many days a need's text outlives it, read and checked when the service starts."""

    def setup(self):
        self.days = days_from(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.days


def forget_outlived_texts(
    store: PledgeStore, now: datetime, days: int, dispatch: Dispatch | None = None
) -> int:
    """Forget the text of every need that ended more than `days` before `now`; how many.
    Each announces it with need_updated (carrying `text_forgotten_at`), so every copy
    forgets it too."""
    cutoff = iso(now - timedelta(days=days))
    forgotten = 0
    for need_id in store.needs_outliving(cutoff):

        def forget(need: dict) -> dict:
            # looked at again as it is now: it may have come back (unmatched, then open)
            return rules.forget_need_text(need, now) if rules.text_outlived(need, cutoff) else need

        if store.change("needs", need_id, forget, ["need_updated"], dispatch).get(
            "text_forgotten_at"
        ):
            forgotten += 1
    if forgotten:
        log.info("forgot the description and case_ref of %d ended needs", forgotten)
    return forgotten
