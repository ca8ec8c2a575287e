"""Retention in a running pledges service, over RabbitMQ and NX-27017, its daily timer
called with a chosen `now`: a need's description and case_ref go RETENTION_DAYS after it
was fulfilled, cancelled or left unmatched; what the dashboard and the commitment
document count stays."""

from datetime import timedelta

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from pledges.service import PledgesService
from tilts_contracts.clock import utcnow
from tilts_contracts.events import envelope

pytestmark = pytest.mark.integration

TEXT = {"description": "Ģimenei ar 3 bērniem vajag gultas", "case_ref": "RIX-2026-0042"}


@pytest.fixture
def pledges(container_factory, service_config):
    container = container_factory(PledgesService, {**service_config, "RETENTION_DAYS": "30"})
    container.start()
    return container


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def post(container, **fields) -> dict:
    body = {"domain": "health", "title": "Gultas", "region": "latgale", "quantity": 2}
    return call(container, "post_need", {**body, **TEXT, **fields})


def left_unmatched(container, dispatch_event, need: dict) -> None:
    gap = {"need": {**need, "status": "open"}, "covered": 0, "reason": "no candidate"}
    with entrypoint_waiter(container, "on_need_unmatched", timeout=15):
        dispatch_event("matching", envelope("need_unmatched", gap))


def texts(container, *needs) -> list[tuple[str, str]]:
    got = [call(container, "get_need", n["id"]) for n in needs]
    return [(n["description"], n["case_ref"]) for n in got]


@pytest.fixture
def copies(container_factory, service_config):
    """The need_updated events pledges publishes, as matching's copies hear them."""
    heard = []

    class Copy:
        name = "copy_of_needs"

        @event_handler("pledges", "need_updated")
        def on_need_updated(self, env):
            heard.append(env["payload"])

    container = container_factory(Copy, service_config)
    container.start()
    return heard


def test_ended_needs_lose_their_text_after_retention_days_and_counts_stay(
    pledges, dispatch_event, copies, wait_until
):
    cancelled, unmatched, waiting = post(pledges), post(pledges), post(pledges)
    call(pledges, "cancel_need", cancelled["id"])
    left_unmatched(pledges, dispatch_event, unmatched)
    assert call(pledges, "get_need", unmatched["id"])["status"] == "unmatched"
    counts, grid = call(pledges, "counts"), call(pledges, "dashboard")["grid"]
    document = call(pledges, "commitments")["domains"]

    now = utcnow()
    assert call(pledges, "forget_outlived_texts", now + timedelta(days=29)) == 0
    assert texts(pledges, cancelled, unmatched) == [tuple(TEXT.values())] * 2
    assert call(pledges, "forget_outlived_texts", now + timedelta(days=31)) == 2
    assert texts(pledges, cancelled, unmatched, waiting) == [
        ("", ""),
        ("", ""),
        tuple(TEXT.values()),
    ]
    assert call(pledges, "forget_outlived_texts", now + timedelta(days=32)) == 0  # once
    # every copy is told, with the text gone and when it went
    told = wait_until(lambda: copies, lambda heard: len(heard) >= 2, timeout=15)
    assert sorted(n["id"] for n in told) == sorted([cancelled["id"], unmatched["id"]])
    assert all((n["description"], n["case_ref"]) == ("", "") for n in told)
    assert all(n["text_forgotten_at"] for n in told)
    assert call(pledges, "counts") == counts
    assert call(pledges, "dashboard")["grid"] == grid
    assert call(pledges, "commitments")["domains"] == document


def test_a_need_that_came_back_counts_from_when_it_ended_again(pledges, dispatch_event):
    need = post(pledges)
    left_unmatched(pledges, dispatch_event, need)
    # a new offer could cover it: matching proposes, so it is open again (not ended)
    match = {
        "id": "mat_000000000000000002",
        "revision": 1,
        "need_id": need["id"],
        "offer_id": "off_000000000000000002",
        "organisation_id": "org_000000000000000002",
        "quantity": 2,
        "score": 0.5,
        "status": "proposed",
        "respond_by": "2026-12-01T00:00:00Z",
    }
    with entrypoint_waiter(pledges, "on_match_proposed", timeout=15):
        dispatch_event("matching", envelope("match_proposed", match))
    assert call(pledges, "get_need", need["id"])["status"] == "open"
    assert call(pledges, "forget_outlived_texts", utcnow() + timedelta(days=31)) == 0
    assert texts(pledges, need) == [tuple(TEXT.values())]


def test_text_written_again_after_retention_is_forgotten_in_its_turn(pledges, dispatch_event):
    need = post(pledges)
    left_unmatched(pledges, dispatch_event, need)
    now = utcnow()
    assert call(pledges, "forget_outlived_texts", now + timedelta(days=31)) == 1
    # an unmatched need may still be edited, and its new text is kept no longer
    call(pledges, "update_need", need["id"], {"description": "Vajag divas gultas"})
    assert texts(pledges, need) == [("Vajag divas gultas", "")]
    assert call(pledges, "forget_outlived_texts", now + timedelta(days=32)) == 1
    assert texts(pledges, need) == [("", "")]


def test_the_daily_timer_forgets_on_the_test_clock(container_factory, service_config):
    pledges = container_factory(
        PledgesService, {**service_config, "RETENTION_DAYS": "30", "TEST_CLOCK": True}
    )
    pledges.start()
    ended = post(pledges)
    call(pledges, "cancel_need", ended["id"])
    assert call(pledges, "forget_outlived_texts") == 0  # today: kept
    call(pledges, "shift_clock", 31 * 24 * 3600)
    assert call(pledges, "forget_outlived_texts") == 1  # as the daily timer calls it
    assert texts(pledges, ended) == [("", "")]
