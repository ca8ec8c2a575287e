"""A clock tests may move forward (renewals, expiries), only where TEST_CLOCK is on,
which it never is in a deployment. The offset lives in the service's database
(`Store.clock_offset`), so every worker and replica of the service moves together."""

from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider

from tilts_contracts import settings
from tilts_contracts.clock import iso, utcnow
from tilts_contracts.errors import Forbidden

from .operable import rpc


class Movable(DependencyProvider):
    """Whether this service's clock may be moved (TEST_CLOCK)."""

    def setup(self):
        self.movable = settings.flag(self.container.config, "TEST_CLOCK")

    def get_dependency(self, worker_ctx):
        return self.movable


class MovableClock:
    """Mixed into a service that has `self.store` (a Store): `_now()`, and the
    `shift_clock` RPC that tests use to move it."""

    clock_movable: bool = Movable()

    def _now(self) -> datetime:
        """Now, moved forward by tests only where TEST_CLOCK is on."""
        if not self.clock_movable:
            return utcnow()
        return utcnow() + timedelta(seconds=self.store.clock_offset())

    @rpc
    def shift_clock(self, seconds: float) -> dict:
        """Move this service's clock forward; refused unless TEST_CLOCK."""
        if not self.clock_movable:
            raise Forbidden("the clock can only be moved where TEST_CLOCK is on")
        return {"offset_seconds": self.store.shift_clock(float(seconds)), "now": iso(self._now())}
