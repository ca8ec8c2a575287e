"""notify mails the sign-in link the registry asks for, over real RabbitMQ, NX-27017 and
SMTP: in the page's language, once however often the event comes, and every email to
an organisation leads to its own page."""

import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from notify.service import NotifyService
from tilts_contracts.events import envelope

pytestmark = pytest.mark.integration


@pytest.fixture
def notify(container_factory, service_config):
    container = container_factory(NotifyService, service_config)
    container.start()
    return container


def signin(email, language="lv", kind="organisation"):
    payload = {
        "email": email,
        "token": "tok-" + uuid.uuid4().hex,
        "language": language,
        "kind": kind,
        "expires_at": "2030-01-01T10:30:00Z",
    }
    return envelope("signin_requested", payload)


def deliver(notify, dispatch_event, env):
    with entrypoint_waiter(notify, "on_signin_requested", timeout=10):
        dispatch_event("registry", env)


def test_the_link_goes_once_in_latvian_with_a_fixed_subject(notify, dispatch_event, smtp_sink):
    email = f"anna-{uuid.uuid4().hex[:8]}@example.lv"
    env = signin(email)
    deliver(notify, dispatch_event, env)
    deliver(notify, dispatch_event, env)  # redelivered: still one email
    [msg] = smtp_sink.wait_for(email)
    assert msg["Subject"] == "Jūsu pierakstīšanās saite Tiltā"
    text = msg.get_body(("plain",)).get_content()
    assert f"http://tilts.test/signin/{env['payload']['token']}?lang=lv" in text
    assert "savas organizācijas lapā" in text
    html = msg.get_body(("html",)).get_content()
    assert f'href="http://tilts.test/signin/{env["payload"]["token"]}?lang=lv"' in html


def test_staff_get_it_in_english_when_they_asked_in_english(notify, dispatch_event, smtp_sink):
    email = f"lead-{uuid.uuid4().hex[:8]}@example.lv"
    deliver(notify, dispatch_event, signin(email, "en", "staff"))
    [msg] = smtp_sink.wait_for(email)
    assert msg["Subject"] == "Your sign-in link for Tilts"
    assert "coordinators' console" in msg.get_body(("plain",)).get_content()


def test_an_organisation_is_shown_the_way_to_its_page(notify, dispatch_event, smtp_sink):
    org = {
        "id": f"org_{uuid.uuid4().hex[:16]}",
        "name": "Drošā māja",
        "email": f"info-{uuid.uuid4().hex[:8]}@example.lv",
        "status": "verified",
        "preferred_language": "en",
    }
    with entrypoint_waiter(notify, "on_organisation_verified", timeout=10):
        dispatch_event("registry", envelope("organisation_verified", org))
    [msg] = smtp_sink.wait_for(org["email"])
    assert "http://tilts.test/org" in msg.get_body(("plain",)).get_content()
    assert 'href="http://tilts.test/org"' in msg.get_body(("html",)).get_content()
