"""What notify forgets, over real RabbitMQ, NX-27017 and SMTP: everything of an erased
organisation, wherever a copy was kept, and the recipient and body of mail sent more
than 90 days ago (with the day passed in, as the timer passes today)."""

import json
import uuid
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, worker_factory
from pymongo import MongoClient

from notify import privacy
from notify.service import NotifyService
from notify.storage import NotificationStore
from tilts_contracts import settings
from tilts_contracts.clock import utcnow
from tilts_contracts.events import envelope
from tilts_runtime.store import OUTBOX, OUTBOX_AT, PENDING, VERSION

from .test_delivery import address, match_payload

pytestmark = pytest.mark.integration
NAME, PHONE = "Biedrība Klusā Osta", "+371 26 123 456"


def notify_db(service_config):
    client = MongoClient(service_config["MONGO_URI"])
    return client, client[settings.database_name("notify")]


def everything(db) -> str:
    """Every document of every collection in notify's database, as one text."""
    docs = {c: list(db[c].find({})) for c in db.list_collection_names()}
    return json.dumps(docs, default=str, ensure_ascii=False)


def start(container_factory, config):
    container = container_factory(NotifyService, config)
    container.start()
    return container


def handle(container, dispatch_event, source, env, handler):
    with entrypoint_waiter(container, handler, timeout=30):
        dispatch_event(source, env)


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def organisation(org_id: str, email: str, **fields) -> dict:
    return {
        "id": org_id,
        "name": NAME,
        "kind": "ngo",
        "email": email,
        "phone": PHONE,  # not in notify's event schema: only a raw (parked) copy keeps it
        "status": "pending",
        "revision": 1,
        "domains": ["health"],
        "regions": ["riga"],
        "preferred_language": "lv",
        "source": "questionnaire",
        **fields,
    }


def request_to(org: dict) -> dict:
    match = match_payload(org["email"], org_id=org["id"])
    match["organisation"] = {**match["organisation"], "name": NAME, "phone": PHONE}
    return match


def a_writer_died_before_publishing(db, note_id: str) -> None:
    """Leave an event about `note_id` in its outbox, as a writer that died would (its
    stamp in the future, so the relay leaves it for the test to look at)."""
    note = db.notifications.find_one({"_id": note_id})
    event = envelope("notification_sent", {**note, "id": note_id})
    db.notifications.update_one(
        {"_id": note_id},
        {
            "$set": {OUTBOX: [event], PENDING: True, OUTBOX_AT: "2999-01-01T00:00:00Z"},
            "$inc": {VERSION: 1},
        },
    )


def test_an_erased_organisation_leaves_nothing_in_notify(
    container_factory, service_config, dispatch_event, smtp_sink, faulty_smtp
):
    email, reviewer = address(), address()
    org = organisation(f"org_{uuid.uuid4().hex[:16]}", email)
    notify = start(container_factory, service_config)
    call(notify, "subscribe", {"email": reviewer, "language": "lv", "domains": ["health"]})
    registered = envelope("organisation_registered", org)
    handle(notify, dispatch_event, "registry", registered, "on_organisation_registered")
    handle(
        notify,
        dispatch_event,
        "matching",
        envelope("match_proposed", request_to(org)),
        "on_match_proposed",
    )
    smtp_sink.wait_for(email, subject="Lūgums palīdzēt")  # a sent request
    smtp_sink.wait_for(reviewer)  # a coordinator told of its questionnaire
    notify.stop()

    # a mail server that quotes the address when it refuses it
    rejecting = faulty_smtp("--rcpt", "550 5.1.1 <{address}>: Recipient address rejected")
    config = {**service_config, "SMTP_PORT": rejecting.port, "NOTIFY_MAX_ATTEMPTS": 1}
    notify = start(container_factory, config)
    refused = envelope("match_proposed", request_to(org))
    handle(notify, dispatch_event, "matching", refused, "on_match_proposed")
    again = call(notify, "resend", f"{refused['event_id']}.match_proposed")
    assert again["status"] == "failed" and email in again["resends"][0]["last_error"]
    call(notify, "set_preferences", org["id"], {"delivery": "digest"})
    held = envelope("match_proposed", request_to(org))
    handle(notify, dispatch_event, "matching", held, "on_match_proposed")
    unreadable = envelope("match_proposed", {**request_to(org), "respond_by": None})
    unreadable["payload"]["organisation"]["phone"] = PHONE  # as a newer producer might send
    handle(notify, dispatch_event, "matching", unreadable, "on_match_proposed")  # parked

    client, db = notify_db(service_config)
    with client:
        assert (
            db.notifications.find_one({"_id": f"{held['event_id']}.match_proposed"})["status"]
            == "held"
        )
        assert db.reminders.count_documents({}) == 3 and db.parked_events.count_documents({})
        sent = db.notifications.find_one({"recipient": email, "status": "sent"})
        a_writer_died_before_publishing(db, sent["_id"])
        before = call(notify, "counts")["notifications"]
        assert email in everything(db) and PHONE in everything(db)

        erased = {**org, "name": "Dzēsta organizācija", "email": None, "revision": 9}
        erasure = envelope("organisation_updated", {**erased, "erased": True, "phone": None})
        handle(notify, dispatch_event, "registry", erasure, "on_organisation_updated")

        text = everything(db)
        for personal in (NAME, email, email.split("@")[0], PHONE, "26 123 456"):
            assert personal not in text, personal
        [review] = db.notifications.find({"template": "questionnaire_review"})
        assert review["recipient"] == reviewer  # the coordinator's own message stays theirs
        waiting = db.notifications.find_one({"_id": sent["_id"]})[OUTBOX]
        assert [e["type"] for e in waiting] == ["notification_sent"]  # still to go, scrubbed
        assert waiting[0]["payload"]["recipient"] == privacy.ERASED
    after = call(notify, "counts")["notifications"]
    assert sum(after.values()) == sum(before.values())  # every message still counted
    assert after["held"] == 0 and after["failed"] == before["failed"] + 1
    listed = call(notify, "list_notifications", {"organisation_id": org["id"]}, 50, None)
    assert {n["recipient"] for n in listed["items"]} == {privacy.ERASED}
    assert "Recipient address rejected" in " ".join(n["last_error"] or "" for n in listed["items"])


def test_sent_mail_loses_its_recipient_and_body_after_ninety_days_and_still_counts(
    container_factory, service_config, dispatch_event, smtp_sink
):
    notify = start(container_factory, service_config)
    to, waiting = address(), address()
    match = match_payload(to)
    handle(
        notify, dispatch_event, "matching", envelope("match_proposed", match), "on_match_proposed"
    )
    smtp_sink.wait_for(to)
    held = match_payload(waiting)
    call(notify, "set_preferences", held["organisation_id"], {"delivery": "digest"})
    handle(
        notify, dispatch_event, "matching", envelope("match_proposed", held), "on_match_proposed"
    )
    before = call(notify, "counts")

    client, db = notify_db(service_config)
    with client:
        store = NotificationStore(db)
        assert privacy.clear_sent(store, utcnow() + timedelta(days=89)) == 0
        assert to in everything(db)
        # 92 days on, the request's reminder (due 36 h after it) is as long past
        assert privacy.clear_sent(store, utcnow() + timedelta(days=92)) == 1
        [note] = db.notifications.find({"organisation_id": match["organisation_id"]})
        assert (note["recipient"], note["context"], note["reply_to"]) == (None, {}, None)
        assert to not in everything(db) and "Ārsta konsultācijas" not in json.dumps(
            note, default=str, ensure_ascii=False
        )
        assert db.notifications.find_one({"recipient": waiting})["status"] == "held"
        assert privacy.clear_sent(store, utcnow() + timedelta(days=93)) == 0  # done once
    assert call(notify, "counts") == before
    [listed] = call(
        notify, "list_notifications", {"organisation_id": match["organisation_id"]}, 10, None
    )["items"]
    assert (listed["status"], listed["attempts"], listed["recipient"]) == ("sent", 1, None)


class AskedWhen:
    """A store that only remembers which cutoff the retention sweep asked about."""

    def __init__(self):
        self.before = []

    def drop_reminders_before(self, before):
        self.before.append(before)

    def sent_uncleared_before(self, before, limit):
        self.before.append(before)
        return []


def test_the_daily_timer_clears_what_was_sent_ninety_days_before_today():
    store = AskedWhen()
    worker_factory(NotifyService, store=store, clock_movable=False).forget_old_mail()
    [cutoff, same] = store.before
    assert cutoff == same and abs((utcnow() - timedelta(days=90) - cutoff).total_seconds()) < 60
    [timer] = NotifyService.forget_old_mail.nameko_entrypoints
    assert timer.interval == 24 * 3600 and timer.eager


class MovedOn(AskedWhen):
    """As AskedWhen, on a test clock moved 91 days on."""

    def clock_offset(self) -> float:
        return timedelta(days=91).total_seconds()


def test_the_daily_timer_reads_the_test_clock_where_it_may_be_moved():
    store = MovedOn()
    worker_factory(NotifyService, store=store, clock_movable=True).forget_old_mail()
    [cutoff, _] = store.before
    assert abs((utcnow() + timedelta(days=1) - cutoff).total_seconds()) < 60
