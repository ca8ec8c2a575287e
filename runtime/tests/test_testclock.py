"""The clock tests may move: only where TEST_CLOCK is on, by the offset in the store."""

from datetime import timedelta

import pytest
from nameko.extensions import DependencyProvider
from nameko.testing.services import worker_factory

from tilts_contracts.clock import parse_iso, utcnow
from tilts_contracts.errors import Forbidden
from tilts_runtime import testclock


class Offsets:
    """A store's clock offset, kept in memory."""

    def __init__(self):
        self.offset = 0.0

    def clock_offset(self) -> float:
        return self.offset

    def shift_clock(self, seconds: float) -> float:
        self.offset += seconds
        return self.offset


class Service(testclock.MovableClock):
    name = "clocked"
    store = DependencyProvider()  # a Store in a service; Offsets here


def test_a_movable_clock_moves_by_the_offset_in_the_store():
    service = worker_factory(Service, store=Offsets(), clock_movable=True)
    moved = service.shift_clock(86400)
    assert moved["offset_seconds"] == 86400
    assert parse_iso(moved["now"]) - utcnow() > timedelta(hours=23)
    assert service._now() - utcnow() > timedelta(hours=23)


def test_without_test_clock_the_clock_stands_and_cannot_be_moved():
    store = Offsets()
    store.offset = 86400.0  # left by a test run against the same database
    service = worker_factory(Service, store=store, clock_movable=False)
    assert abs(service._now() - utcnow()) < timedelta(minutes=1)
    with pytest.raises(Forbidden):
        service.shift_clock(60)
