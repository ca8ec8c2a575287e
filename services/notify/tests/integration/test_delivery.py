"""notify over real RabbitMQ, NX-27017 and SMTP: one email per event, in the right
language, retried while the mail server is down, digests and gap alerts."""

import re
import uuid
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from stack import free_port

from notify.service import NotifyService
from tilts_contracts.clock import iso, utcnow
from tilts_contracts.events import envelope

pytestmark = pytest.mark.integration


def match_payload(email: str, language: str = "lv", urgency: str = "normal") -> dict:
    now = utcnow()
    org_id = f"org_{uuid.uuid4().hex[:16]}"
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
        "respond_by": iso(now + timedelta(hours=24)),
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
    publish(
        notify,
        dispatch_event,
        "matching",
        envelope("match_proposed", match_payload(to, "en")),
        "on_match_proposed",
    )
    [msg] = smtp_sink.wait_for(to)
    assert msg["Subject"].startswith("Request for help:")
    assert "Why you" in msg.get_body(("plain",)).get_content()
    assert msg["Content-Language"] == "en"


def test_mail_waits_while_smtp_is_down_and_goes_when_it_is_back(
    container_factory, service_config, dispatch_event, tmp_path
):
    from conftest import MailSink

    port = free_port()  # nothing listens here yet
    config = {**service_config, "SMTP_PORT": port, "NOTIFY_RETRY_SECONDS": 1}
    container = container_factory(NotifyService, config)
    container.start()
    to = address()
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
    assert digest["Subject"] == "Tilts: 1 lūgumi šodien"
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
    }
    publish(
        notify,
        dispatch_event,
        "registry",
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    [msg] = smtp_sink.wait_for(to)
    assert msg["Subject"] == "We received your registration: Rīgas brīvprātīgie"


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
