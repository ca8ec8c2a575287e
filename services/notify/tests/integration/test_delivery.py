"""notify over real RabbitMQ, NX-27017 and SMTP: one email per event, in the right
language, retried while the mail server is down, digests and gap alerts."""

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from prometheus_client import REGISTRY
from stack import free_port

from conftest import TEST_SECRET, MailSink, eventually
from notify.service import NotifyService
from tilts_contracts.clock import iso, utcnow
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.events import envelope
from tilts_contracts.localtime import RIGA
from tilts_contracts.tokens import link_key, read_response_link

pytestmark = pytest.mark.integration
RESPOND_HOURS = {"critical": 4, "high": 24, "normal": 72, "low": 168}  # DESIGN.md


def match_payload(
    email: str, language: str = "lv", urgency: str = "normal", org_id: str | None = None
) -> dict:
    now = utcnow()
    org_id = org_id or f"org_{uuid.uuid4().hex[:16]}"
    need = {
        "id": f"need_{uuid.uuid4().hex[:16]}",
        "domain": "health",
        "region": "riga",
        "title": "Ģimenes ārsta apmeklējums",
        "description": "Divi bērni, pārbaude",
        "quantity": 2,
        "urgency": urgency,
        "status": "open",
        "languages": ["ru"],
    }
    offer = {
        "id": f"off_{uuid.uuid4().hex[:16]}",
        "organisation_id": org_id,
        "domain": "health",
        "title": "Ārsta konsultācijas",
        "capacity": 5,
        "remaining": 3,
        "regions": ["riga"],
        "status": "active",
        "unit": "visits",
    }
    return {
        "id": f"mat_{uuid.uuid4().hex[:16]}",
        "need_id": need["id"],
        "offer_id": offer["id"],
        "organisation_id": org_id,
        "quantity": 2,
        "score": 0.9,
        "score_breakdown": {
            "region": 1.0,
            "language": 1.0,
            "capacity": 1.0,
            "responsiveness": 0.5,
            "fairness": 1.0,
        },
        "status": "proposed",
        "respond_by": iso(now + timedelta(hours=RESPOND_HOURS[urgency])),
        "created_at": iso(now),
        "updated_at": iso(now),
        "revision": 1,
        "need": need,
        "offer": offer,
        "organisation": {
            "id": org_id,
            "name": "Dzīvības koks",
            "email": email,
            "preferred_language": language,
        },
    }


def address():
    return f"notify-{uuid.uuid4().hex[:10]}@example.org"


@pytest.fixture
def notify(container_factory, service_config):
    container = container_factory(NotifyService, service_config)
    container.start()
    return container


def publish(container, dispatch_event, source, env, handler):
    with entrypoint_waiter(container, handler, timeout=10):
        dispatch_event(source, env)


def outbox(container, **filters) -> list[dict]:
    with entrypoint_hook(container, "list_notifications") as listing:
        return listing(filters, 100, None)["items"]


def propose(container, dispatch_event, match: dict) -> None:
    env = envelope("match_proposed", match)
    publish(container, dispatch_event, "matching", env, "on_match_proposed")


class FailureWatch:
    """Hears notify's notification_failed events, as any other service would."""

    name = "failure_watch"
    seen: list = []

    @event_handler("notify", "notification_failed")
    def on_failed(self, env):
        FailureWatch.seen.append(env)


def test_a_match_email_is_sent_once_in_latvian_with_both_parts(notify, dispatch_event, smtp_sink):
    to = address()
    env = envelope("match_proposed", match_payload(to, "lv"))
    publish(notify, dispatch_event, "matching", env, "on_match_proposed")
    publish(notify, dispatch_event, "matching", env, "on_match_proposed")  # redelivered
    [msg] = smtp_sink.wait_for(to)
    assert msg["Subject"] == "Lūgums palīdzēt: Ģimenes ārsta apmeklējums (Rīga)"
    raw_subject = re.search(rb"^Subject: (.*)$", msg.as_bytes(), re.M).group(1)
    assert raw_subject.startswith(b"=?utf-8?")  # RFC 2047 on the wire
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Ģimenes ārsta apmeklējums" in text and "Kāpēc jūs" in text
    assert "jūs strādājat šajā reģionā" in text
    assert "<strong>Ārsta konsultācijas</strong>" in html
    link = re.search(r"http://tilts\.test/respond/[\w.-]+", text).group()
    assert link in html
    smtp_sink.wait_for(to, count=1)
    assert len(smtp_sink.messages(to)) == 1


def test_an_english_organisation_gets_english(notify, dispatch_event, smtp_sink):
    to = address()
    match = match_payload(to, "en")
    propose(notify, dispatch_event, match)
    [msg] = smtp_sink.wait_for(to)
    assert msg["Subject"].startswith("Request for help:")
    assert msg["Content-Language"] == "en"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Why you" in part and "Ārsta konsultācijas" in part
        assert "you work in this region" in part and "Please answer by" in part
    # the link in both parts is the signed one for this match and this organisation
    link = re.search(r"http://tilts\.test/respond/([\w.-]+)", text)
    assert link.group(0) in html
    # signed with the link key, not AUTH_SECRET (a link is no API token)
    claims = read_response_link(link_key({"AUTH_SECRET": TEST_SECRET}), link.group(1))
    assert (claims["match"], claims["org"]) == (match["id"], match["organisation_id"])


def test_mail_waits_while_smtp_is_down_and_goes_when_it_is_back(
    container_factory, service_config, dispatch_event, tmp_path
):
    port = free_port()  # nothing listens here yet
    config = {**service_config, "SMTP_PORT": port, "NOTIFY_RETRY_SECONDS": 1}
    container = container_factory(NotifyService, config)
    container.start()
    to = address()
    before = {o: emails_counted(o) for o in ("sent", "retry")}
    publish(
        container,
        dispatch_event,
        "matching",
        envelope("match_proposed", match_payload(to)),
        "on_match_proposed",
    )

    with entrypoint_hook(container, "list_notifications") as listing:
        [note] = listing({"recipient": to}, 10, None)["items"]
    assert note["status"] == "pending" and note["attempts"] == 1
    assert "Connection" in note["last_error"] or "refused" in note["last_error"].lower()

    sink = MailSink(tmp_path / "late-mail", port)
    sink.start()
    try:
        [msg] = sink.wait_for(to, timeout=30)
        assert "Ģimenes ārsta apmeklējums" in msg["Subject"]
        with entrypoint_hook(container, "list_notifications") as listing:
            [note] = listing({"recipient": to}, 10, None)["items"]
        assert note["status"] == "sent" and note["attempts"] >= 2
    finally:
        sink.stop()
    # what Prometheus scrapes from this process: the failed try and the send
    assert emails_counted("retry") - before["retry"] >= 1
    assert emails_counted("sent") - before["sent"] >= 1


def emails_counted(outcome: str) -> float:
    labels = {"template": "match_proposed", "outcome": outcome}
    return REGISTRY.get_sample_value("tilts_emails_total", labels) or 0.0


def test_a_digest_organisation_gets_urgent_requests_at_once_and_the_rest_bundled(
    notify, dispatch_event, smtp_sink
):
    to = address()
    normal, critical = match_payload(to, "lv", "normal"), match_payload(to, "lv", "critical")
    critical["organisation_id"] = normal["organisation_id"]
    with entrypoint_hook(notify, "set_preferences") as prefs:
        assert prefs(normal["organisation_id"], {"delivery": "digest"})["delivery"] == "digest"
    publish(
        notify, dispatch_event, "matching", envelope("match_proposed", normal), "on_match_proposed"
    )
    publish(
        notify,
        dispatch_event,
        "matching",
        envelope("match_proposed", critical),
        "on_match_proposed",
    )
    [urgent] = smtp_sink.wait_for(to)  # only the critical one so far
    assert urgent["List-Unsubscribe"] is None

    with entrypoint_hook(notify, "send_digests") as send:
        assert send() >= 1
    messages = smtp_sink.wait_for(to, count=2)
    digest = [m for m in messages if m["List-Unsubscribe"]][0]
    assert digest["Subject"] == "Tilts: dienas apkopojums — 1 lūgums"  # lv: 1, 21 lūgums
    assert "/notifications/digest-off/" in digest["List-Unsubscribe"]
    assert "Ģimenes ārsta apmeklējums" in digest.get_body(("plain",)).get_content()


def test_a_gap_alert_reaches_the_domains_coordinators(notify, dispatch_event, smtp_sink):
    follower, other = address(), address()
    with entrypoint_hook(notify, "subscribe") as subscribe:
        subscribe(
            {
                "email": follower,
                "name": "Veselības koordinatore",
                "language": "lv",
                "domains": ["health"],
            }
        )
        subscribe({"email": other, "language": "en", "domains": ["legal"]})
    need = match_payload(follower)["need"]
    env = envelope("need_unmatched", {"need": need, "covered": 0, "reason": "no candidate"})
    publish(notify, dispatch_event, "matching", env, "on_need_unmatched")
    [alert] = smtp_sink.wait_for(follower)
    assert alert["Subject"].startswith("Robs: nav, kas palīdz")
    assert "Veselības koordinatore" in alert.get_body(("plain",)).get_content()
    assert smtp_sink.messages(other) == []


def test_a_registration_is_acknowledged(notify, dispatch_event, smtp_sink):
    to = address()
    org = {
        "id": f"org_{uuid.uuid4().hex[:16]}",
        "name": "Rīgas brīvprātīgie",
        "email": to,
        "preferred_language": "en",
        "status": "pending",
        "revision": 1,
        "source": "questionnaire",  # a coordinator's own registration is not thanked
    }
    publish(
        notify,
        dispatch_event,
        "registry",
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    [msg] = smtp_sink.wait_for(to)
    # the subject holds nothing the public form took: the form cannot write it for spam
    assert msg["Subject"] == "We received your registration with Tilts"
    assert "Rīgas brīvprātīgie" in msg.get_body(("plain",)).get_content()


def test_a_questionnaire_is_announced_to_the_domains_reviewers(notify, dispatch_event, smtp_sink):
    reviewer = address()
    with entrypoint_hook(notify, "subscribe") as subscribe:
        subscribe({"email": reviewer, "language": "en", "domains": ["children"]})
    org = {
        "id": f"org_{uuid.uuid4().hex[:16]}",
        "name": "Bērnu prieks",
        "email": address(),
        "status": "pending",
        "revision": 1,
        "domains": ["children"],
        "source": "questionnaire",
        "held_offers": [{"title": "Rotaļas"}],
    }
    publish(
        notify,
        dispatch_event,
        "registry",
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    [msg] = smtp_sink.wait_for(reviewer)
    assert msg["Subject"] == "A new registration awaits review: Bērnu prieks"
    assert "Offers waiting for verification: 1" in msg.get_body(("plain",)).get_content()


# -- headers: one line, dated, answered to the coordinator (audit H1, M2, M6) -------------
def test_a_line_break_in_a_title_or_a_name_still_sends_with_one_line_headers(
    notify, dispatch_event, smtp_sink
):
    to = address()
    match = match_payload(to)
    match["need"]["title"] = "Ārsts bērnam\notrā rindā"  # pasted from a document
    match["organisation"]["name"] = "Dzīvības\u2028koks\r\nRīgā"
    propose(notify, dispatch_event, match)
    [msg] = smtp_sink.wait_for(to)
    assert msg["Subject"] == "Lūgums palīdzēt: Ārsts bērnam otrā rindā (Rīga)"
    [addressee] = msg["To"].addresses
    assert (addressee.display_name, addressee.addr_spec) == ("Dzīvības koks Rīgā", to)
    [note] = outbox(notify, recipient=to)
    assert note["status"] == "sent" and note["attempts"] == 1


def test_every_email_is_dated_and_answers_go_to_the_coordinator_who_posted_the_need(
    container_factory, service_config, dispatch_event, smtp_sink
):
    config = {**service_config, "COORDINATOR_EMAIL": "koordinatori@example.org"}
    notify = container_factory(NotifyService, config)
    notify.start()
    posted, fallback = address(), address()
    by_anna, by_role = match_payload(posted), match_payload(fallback)
    by_anna["need"]["posted_by"] = "anna.berzina@example.org"
    by_role["need"]["posted_by"] = "coordinator"  # a token whose sub is no address
    for match in (by_anna, by_role):
        env = envelope("match_proposed", match)
        publish(notify, dispatch_event, "matching", env, "on_match_proposed")
    [to_anna] = smtp_sink.wait_for(posted)
    [to_all] = smtp_sink.wait_for(fallback)
    assert to_anna["Reply-To"] == "anna.berzina@example.org"
    assert to_all["Reply-To"] == "koordinatori@example.org"
    for msg in (to_anna, to_all):
        assert abs((msg["Date"].datetime - datetime.now(UTC)).total_seconds()) < 120


# -- a message that cannot be written, and one SMTP never took (H1, L5, L8, L10) ----------
def test_a_message_that_cannot_be_written_fails_at_once_with_the_reason(
    container_factory, service_config, dispatch_event
):
    watch = container_factory(FailureWatch, service_config)
    watch.start()
    notify = container_factory(NotifyService, service_config)
    notify.start()
    match = match_payload("no-domain-here")  # no message can be addressed to this
    with entrypoint_waiter(watch, "on_failed", timeout=10):
        env = envelope("match_proposed", match)
        publish(notify, dispatch_event, "matching", env, "on_match_proposed")
    [note] = outbox(notify, organisation_id=match["organisation_id"])
    assert note["status"] == "failed" and note["attempts"] == 1  # not retried 8 times
    assert note["last_error"].startswith("cannot compose the message")
    assert FailureWatch.seen[-1]["payload"]["id"] == note["id"]


def test_after_the_last_attempt_a_message_is_failed_and_a_resend_sends_it_once(
    container_factory, service_config, dispatch_event, tmp_path
):
    port = free_port()  # SMTP is down
    config = {
        **service_config,
        "SMTP_PORT": port,
        "NOTIFY_RETRY_SECONDS": 1,
        "NOTIFY_MAX_ATTEMPTS": 2,
    }
    watch = container_factory(FailureWatch, service_config)
    watch.start()
    notify = container_factory(NotifyService, config)
    notify.start()
    to = address()
    with entrypoint_waiter(watch, "on_failed", timeout=20):
        env = envelope("match_proposed", match_payload(to))
        publish(notify, dispatch_event, "matching", env, "on_match_proposed")
    [note] = outbox(notify, recipient=to)
    assert note["status"] == "failed" and note["attempts"] == 2
    assert FailureWatch.seen[-1]["payload"]["id"] == note["id"]

    sink = MailSink(tmp_path / "mail", port)
    sink.start()
    try:
        with entrypoint_hook(notify, "resend") as resend:
            again = resend(note["id"])
        assert again["status"] == "sent" and again["attempts"] == 3  # the count goes on
        assert again["resends"][0]["status"] == "failed"
        assert again["resends"][0]["attempts"] == 2
        assert "Connection" in again["resends"][0]["last_error"]
        with entrypoint_hook(notify, "resend") as resend:
            with pytest.raises(Conflict):  # a double click sends nothing more
                resend(note["id"])
        [msg] = sink.wait_for(to)
        assert msg["Message-ID"] == note["message_id"]  # never delivered: same id
    finally:
        sink.stop()


# -- what the email says (M1, L2) -----------------------------------------------------------
def test_the_deadline_is_riga_time_in_both_languages_and_both_parts(
    notify, dispatch_event, smtp_sink
):
    expected = {
        "lv": (
            "Lūdzu, atbildiet līdz 2026. gada 26. novembrim plkst. 07:49 (Rīgas laiks).",
            "Vajadzīgs līdz: 2026. gada 24. decembrim",
        ),
        "en": (
            "Please answer by 26 November 2026, 07:49 (Riga time).",
            "Needed by: 24 December 2026",
        ),
    }
    for language, (deadline, needed_by) in expected.items():
        to = address()
        match = match_payload(to, language)
        match["respond_by"] = "2026-11-26T05:49:05Z"  # UTC; Riga is UTC+2 in November
        match["need"]["needed_by"] = "2026-12-24"
        env = envelope("match_proposed", match)
        publish(notify, dispatch_event, "matching", env, "on_match_proposed")
        [msg] = smtp_sink.wait_for(to)
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert deadline in text and needed_by in text
        assert deadline.split(" ", 3)[-1].rstrip(".") in html
        assert "UTC" not in text + html and "05:49" not in text + html


def test_a_language_is_no_reason_given_when_the_need_named_none(notify, dispatch_event, smtp_sink):
    to = address()
    match = match_payload(to)
    match["need"]["languages"] = []  # every offer scores language 1.0 then
    propose(notify, dispatch_event, match)
    [msg] = smtp_sink.wait_for(to)
    text = msg.get_body(("plain",)).get_content()
    assert "Kāpēc jūs: jūs strādājat šajā reģionā; jūsu piedāvājums sedz šo daudzumu" in text
    assert "valodā" not in text


# -- digests (M3, M7, L1) ---------------------------------------------------------------------
def choose_digest(container, org_id: str) -> None:
    with entrypoint_hook(container, "set_preferences") as prefs:
        prefs(org_id, {"delivery": "digest"})


def test_a_held_request_withdrawn_before_the_digest_drops_out_without_a_withdrawal(
    notify, dispatch_event, smtp_sink
):
    to = address()
    kept = match_payload(to)
    withdrawn = match_payload(to, org_id=kept["organisation_id"])
    withdrawn["need"]["title"] = "Atcelta vajadzība"
    choose_digest(notify, kept["organisation_id"])
    for match in (kept, withdrawn):
        env = envelope("match_proposed", match)
        publish(notify, dispatch_event, "matching", env, "on_match_proposed")
    cancelled = envelope("match_cancelled", {**withdrawn, "status": "cancelled"})
    publish(notify, dispatch_event, "matching", cancelled, "on_match_cancelled")

    with entrypoint_hook(notify, "send_digests") as send:
        assert send() == 1
    [digest] = smtp_sink.wait_for(to)
    assert digest["Subject"] == "Tilts: dienas apkopojums — 1 lūgums"
    text = digest.get_body(("plain",)).get_content()
    assert "Ģimenes ārsta apmeklējums" in text and "Atcelta vajadzība" not in text
    time.sleep(1)
    assert len(smtp_sink.messages(to)) == 1  # no "Lūgums atsaukts" for a request never sent
    status = {n["id"]: n["status"] for n in outbox(notify, recipient=to)}
    assert sorted(status.values()) == ["dropped", "sent", "sent"]  # withdrawn, kept, digest


def test_a_request_due_before_the_next_digest_is_sent_at_once(
    container_factory, service_config, dispatch_event, smtp_sink
):
    """A normal need wanted tomorrow morning: matching cut its deadline to 6 h, and the
    next digest is 11-12 h away on Riga's clock, so holding it would let it expire unseen."""
    digest_hour = (datetime.now(RIGA).hour + 12) % 24
    notify = container_factory(NotifyService, {**service_config, "DIGEST_HOUR": digest_hour})
    notify.start()
    to = address()
    match = match_payload(to, urgency="normal")
    match["respond_by"] = iso(utcnow() + timedelta(hours=6))
    choose_digest(notify, match["organisation_id"])
    propose(notify, dispatch_event, match)
    [msg] = smtp_sink.wait_for(to)
    assert msg["Subject"].startswith("Lūgums palīdzēt")
    assert msg["List-Unsubscribe"] is None  # the request itself, not a digest
    [note] = outbox(notify, recipient=to)
    assert note["status"] == "sent" and note["template"] == "match_proposed"


def test_a_request_accepted_before_its_digest_is_still_called_off_when_the_need_goes(
    notify, dispatch_event, smtp_sink
):
    to = address()
    match = match_payload(to)
    choose_digest(notify, match["organisation_id"])
    propose(notify, dispatch_event, match)  # held for the digest, never emailed
    answered = {"status": "accepted", "answered_at": "2026-11-24T13:00:00Z"}
    accepted = envelope("match_accepted", {**match, **answered})  # through the API
    publish(notify, dispatch_event, "matching", accepted, "on_match_accepted")
    cancelled = envelope("match_cancelled", {**match, **answered, "status": "cancelled"})
    publish(notify, dispatch_event, "matching", cancelled, "on_match_cancelled")
    [told] = smtp_sink.wait_for(to)
    assert told["Subject"].startswith("Lūgums atsaukts")
    text = told.get_body(("plain",)).get_content()
    assert "Jūs pieņēmāt lūgumu" in text and "vairs nav jāsniedz" in text


def test_held_requests_count_as_sent_only_once_their_digest_is(
    container_factory, service_config, dispatch_event, tmp_path
):
    port = free_port()  # SMTP is down when the digest is made
    config = {**service_config, "SMTP_PORT": port, "NOTIFY_RETRY_SECONDS": 1}
    notify = container_factory(NotifyService, config)
    notify.start()
    to = address()
    match = match_payload(to)
    choose_digest(notify, match["organisation_id"])
    propose(notify, dispatch_event, match)
    with entrypoint_hook(notify, "send_digests") as send:
        assert send() == 1
    [request] = outbox(notify, template="match_proposed", recipient=to)
    [digest] = outbox(notify, template="digest", recipient=to)
    assert request["status"] == "in_digest" and request["digest_id"] == digest["id"]
    assert digest["status"] == "pending" and digest["attempts"] == 1

    sink = MailSink(tmp_path / "mail", port)
    sink.start()
    try:
        sink.wait_for(to)
        request = eventually(
            lambda: outbox(notify, template="match_proposed", recipient=to)[0],
            lambda n: n["status"] == "sent",
        )
        assert request["status"] == "sent"
    finally:
        sink.stop()


def test_one_digest_a_day_however_many_workers_ask_and_however_often(
    container_factory, service_config, dispatch_event, smtp_sink
):
    workers = [container_factory(NotifyService, service_config) for _ in range(2)]
    for worker in workers:
        worker.start()
    to = address()
    first = match_payload(to)
    second = match_payload(to, org_id=first["organisation_id"])
    choose_digest(workers[0], first["organisation_id"])
    for match in (first, second):  # either worker may take each event
        dispatch_event("matching", envelope("match_proposed", match))
    eventually(lambda: outbox(workers[0], recipient=to, status="held"), lambda held: len(held) == 2)

    def send(worker):
        with entrypoint_hook(worker, "send_digests") as send_digests:
            send_digests()

    # six tries at once, from both workers (a hook's answer may be another call's, so
    # count what was made: the outbox and the mailbox)
    list(eventlet.GreenPool().imap(send, workers * 3))
    [digest] = smtp_sink.wait_for(to)
    assert digest["Subject"] == "Tilts: dienas apkopojums — 2 lūgumi"
    for worker in workers:  # later that day, or after a restart
        send(worker)
    time.sleep(1)
    assert len(smtp_sink.messages(to)) == 1
    assert len(outbox(workers[1], recipient=to, template="digest")) == 1


def test_a_coordinator_can_take_gap_alerts_as_a_daily_digest_and_switch_back(
    notify, dispatch_event, smtp_sink
):
    follower = address()
    with entrypoint_hook(notify, "subscribe") as subscribe:
        sub = subscribe(
            {
                "email": follower,
                "name": "Veselības koordinatore",
                "domains": ["health"],
                "delivery": "digest",
            }
        )
    assert sub["delivery"] == "digest"
    need = {**match_payload(follower)["need"], "case_ref": "RIX-2026-0042"}
    env = envelope("need_unmatched", {"need": need, "covered": 0, "reason": "no candidate"})
    publish(notify, dispatch_event, "matching", env, "on_need_unmatched")
    time.sleep(1)
    assert smtp_sink.messages(follower) == []  # held for the digest

    with entrypoint_hook(notify, "send_digests") as send:
        assert send() == 1
    [digest] = smtp_sink.wait_for(follower)
    assert digest["Subject"] == "Tilts: dienas apkopojums — 1 robs"
    assert digest["To"].addresses[0].display_name == "Veselības koordinatore"
    text = digest.get_body(("plain",)).get_content()
    assert "Labdien, Veselības koordinatore!" in text
    assert "Ģimenes ārsta apmeklējums [RIX-2026-0042]" in text
    assert f"http://tilts.test/api/needs/{need['id']}" in text
    assert "/notifications/digest-off/" in digest["List-Unsubscribe"]

    # a critical gap, and one needed before the next digest, are told at once
    today = datetime.now(UTC).date().isoformat()
    for count, change in enumerate(({"urgency": "critical"}, {"needed_by": today}), start=2):
        urgent = {**match_payload(follower)["need"], **change}
        env = envelope("need_unmatched", {"need": urgent, "covered": 0, "reason": "no candidate"})
        publish(notify, dispatch_event, "matching", env, "on_need_unmatched")
        alert = smtp_sink.wait_for(follower, count=count)[-1]
        assert alert["Subject"].startswith("Robs: nav, kas palīdz")  # a single alert
        assert not alert["List-Unsubscribe"]

    with entrypoint_hook(notify, "digest_off") as digest_off:
        digest_off(sub["id"])  # what the digest's one-click link does
    with entrypoint_hook(notify, "list_subscriptions") as listing:
        [now] = listing(50, None)["items"]
    assert now["delivery"] == "immediate"


# -- gap alerts (L7) -------------------------------------------------------------------------
def test_a_gap_alert_names_the_need_and_reaches_the_coordinator_when_nobody_follows(
    container_factory, service_config, dispatch_event, smtp_sink
):
    fallback = address()
    notify = container_factory(NotifyService, {**service_config, "COORDINATOR_EMAIL": fallback})
    notify.start()
    need = {**match_payload(fallback)["need"], "case_ref": "RIX-2026-0017", "needed_by": None}
    env = envelope("need_unmatched", {"need": need, "covered": 1, "reason": "partly covered"})
    publish(notify, dispatch_event, "matching", env, "on_need_unmatched")
    [alert] = smtp_sink.wait_for(fallback)
    assert alert["Subject"] == "Daļējs robs (sedz 1 no 2) — Ģimenes ārsta apmeklējums (Rīga)"
    text = alert.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Tilts neatrod pietiekami daudz piedāvājumu" in text
    assert "Lietas atsauce: RIX-2026-0017" in text
    assert f"Vajadzības ID: {need['id']} (http://tilts.test/api/needs/{need['id']})" in text
    assert "Steidzamība: parasta\n" in text
    assert "\n\nKad parādīsies piemērots piedāvājums" in text  # its paragraph, not run on
    assert "http://tilts.test/dashboard?lang=lv" in text


# -- the outbox and subscriptions as lists (L6) ---------------------------------------------
def test_the_outbox_lists_oldest_first_a_page_at_a_time_and_refuses_an_unknown_status(
    notify, dispatch_event, smtp_sink
):
    to = address()
    org_id = f"org_{uuid.uuid4().hex[:16]}"
    keys = []
    for _ in range(3):
        env = envelope("match_proposed", match_payload(to, org_id=org_id))
        publish(notify, dispatch_event, "matching", env, "on_match_proposed")
        keys.append(f"{env['event_id']}.match_proposed")
        time.sleep(1.1)  # times are to the second
    with entrypoint_hook(notify, "list_notifications") as listing:
        page = listing({"organisation_id": org_id}, 2, None)
        rest = listing({"organisation_id": org_id}, 2, page["next"])
        with pytest.raises(Invalid):
            listing({"status": "bogus"}, 10, None)
    assert [n["id"] for n in page["items"] + rest["items"]] == keys
    assert rest["next"] is None

    with entrypoint_hook(notify, "subscribe") as subscribe:
        for n in range(3):
            subscribe({"email": f"k{n}-{to}", "domains": ["health"]})
    with entrypoint_hook(notify, "list_subscriptions") as listing:
        first = listing(2, None)
        second = listing(2, first["next"])
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next"] is None


def test_a_request_that_arrives_after_the_erasure_is_not_sent_to_the_old_address(
    notify, dispatch_event, smtp_sink
):
    to = address()
    match = match_payload(to)  # written before the erasure: it still carries the address
    erased = {
        "id": match["organisation_id"],
        "name": "anonīma organizācija",
        "email": None,
        "status": "verified",
        "erased": True,
        "revision": 9,
    }
    env = envelope("organisation_updated", erased)
    publish(notify, dispatch_event, "registry", env, "on_organisation_updated")
    propose(notify, dispatch_event, match)
    time.sleep(1)
    assert smtp_sink.messages(to) == []
    assert outbox(notify, recipient=to) == []  # nor is the address kept
