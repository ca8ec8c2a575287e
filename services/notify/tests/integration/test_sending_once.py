"""Each email goes once, however slow or odd the mail server: notify over real
RabbitMQ, NX-27017 and a misbehaving aiosmtpd server (smtp_faults.py)."""

import logging
import time
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from pymongo import MongoClient

from notify import delivery
from notify.rules import NEVER
from notify.service import NotifyService
from tilts_contracts import settings
from tilts_contracts.events import envelope
from tilts_runtime.store import VERSION

from .test_delivery import address, match_payload

pytestmark = pytest.mark.integration


def outbox(container, **filters) -> list[dict]:
    with entrypoint_hook(container, "list_notifications") as listing:
        return listing(filters, 100, None)["items"]


def test_a_message_the_server_accepted_is_sent_whatever_it_answers_to_quit(
    container_factory, service_config, dispatch_event, faulty_smtp
):
    server = faulty_smtp("--quit", "554 5.0.0 closing in a bad mood")
    config = {**service_config, "SMTP_PORT": server.port, "NOTIFY_RETRY_SECONDS": 1}
    notify = container_factory(NotifyService, config)
    notify.start()
    to = address()
    with entrypoint_waiter(notify, "on_match_proposed", timeout=10):
        dispatch_event("matching", envelope("match_proposed", match_payload(to)))
    server.wait_for(to)
    time.sleep(3)  # a retry would have come a second after the "failure"
    assert len(server.messages(to)) == 1
    [note] = outbox(notify, recipient=to)
    assert note["status"] == "sent" and note["attempts"] == 1 and note["last_error"] is None


def test_a_session_slower_than_the_claim_is_abandoned_not_run_beside_a_second(
    container_factory, service_config, dispatch_event, faulty_smtp, monkeypatch
):
    """The first session stalls 2.5 s at each step (10 s in all, no step near the 15 s
    socket timeout); the claim is 6 s here. Without a deadline on the whole session a
    second worker takes the message when the claim runs out and both deliver it; with
    one (2 s here) the first gives up while it still holds the message, and it goes once."""
    monkeypatch.setattr(delivery, "CLAIM", timedelta(seconds=6))
    monkeypatch.setattr(delivery, "SESSION_DEADLINE", 2, raising=False)
    server = faulty_smtp("--stall", "2.5", "--stalled", "1")
    config = {**service_config, "SMTP_PORT": server.port, "NOTIFY_RETRY_SECONDS": 1}
    workers = [container_factory(NotifyService, config) for _ in range(2)]
    for worker in workers:
        worker.start()
    to = address()
    dispatch_event("matching", envelope("match_proposed", match_payload(to)))
    server.wait_for(to)
    time.sleep(12)  # until the stalled session would have finished too
    assert len(server.messages(to)) == 1
    [note] = outbox(workers[0], recipient=to)
    assert note["status"] == "sent" and note["attempts"] == 2
    assert note["last_error"] is None


def take_over(db, note_id: str) -> None:
    """What a second worker does once the first one's claim has run out."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        note = db.notifications.find_one({"_id": note_id}) or {}
        if note.get("claimed_until", NEVER) != NEVER:  # the first worker is sending
            db.notifications.update_one(
                {"_id": note_id},
                {
                    "$set": {"claimed_until": "2999-01-01T00:00:00Z", "claimed_by": "second"},
                    "$inc": {VERSION: 1},
                },
            )
            return
        time.sleep(0.05)
    raise AssertionError(f"nobody claimed {note_id}")


@pytest.mark.parametrize(
    "answer, outcome",
    [
        ("451 4.3.0 try again later", {"status": "pending", "attempts": 0}),  # left alone
        ("", {"status": "sent", "attempts": 1}),  # it went: never set up to go again
    ],
)
def test_a_worker_whose_claim_was_taken_over_does_not_set_the_message_up_again(
    container_factory, service_config, dispatch_event, faulty_smtp, answer, outcome
):
    server = faulty_smtp("--stall", "1.5", "--stalled", "1", *(["--data", answer] * bool(answer)))
    notify = container_factory(NotifyService, {**service_config, "SMTP_PORT": server.port})
    notify.start()
    to = address()
    env = envelope("match_proposed", match_payload(to))
    note_id = f"{env['event_id']}.match_proposed"
    with MongoClient(service_config["MONGO_URI"]) as client:
        db = client[settings.database_name("notify")]
        with entrypoint_waiter(notify, "on_match_proposed", timeout=30):
            dispatch_event("matching", env)
            take_over(db, note_id)
        note = db.notifications.find_one({"_id": note_id})
    assert {k: note[k] for k in outcome} == outcome
    if outcome["status"] == "pending":  # the second worker's claim stands
        assert note["claimed_until"] == "2999-01-01T00:00:00Z"


def test_an_smtp_error_is_logged_without_the_address_and_kept_whole_for_coordinators(
    container_factory, service_config, dispatch_event, faulty_smtp, caplog
):
    """Issue: structured logs with the event and need ids, no personal data."""
    caplog.set_level(logging.INFO, logger="notify")
    caplog.set_level(logging.INFO, logger="tilts_contracts")
    server = faulty_smtp("--rcpt", "550 5.1.1 <{address}>: Recipient address rejected")
    notify = container_factory(NotifyService, {**service_config, "SMTP_PORT": server.port})
    notify.start()
    to = address()
    with entrypoint_waiter(notify, "on_match_proposed", timeout=10):
        dispatch_event("matching", envelope("match_proposed", match_payload(to)))
    [note] = outbox(notify, recipient=to)
    assert to in note["last_error"] and "Recipient address rejected" in note["last_error"]
    logged = [r for r in caplog.records if note["id"] in r.getMessage()]
    assert logged and "Recipient address rejected" in logged[0].getMessage()
    assert to not in caplog.text and to.split("@")[0] not in caplog.text
