"""The same event delivered twice has one effect; mail held while SMTP is down is sent
once it returns. Both over the real stack (RabbitMQ, NX-27017, an SMTP server)."""

import importlib.util
import time
from pathlib import Path

import pytest
import requests

from tilts_contracts import events
from tilts_contracts.clock import new_id, utcnow
from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def coordinator(running):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(running.secret, 'coordinator')}"
    return session


def org_with_offer(session, url, email, domain="social", region="kurzeme"):
    reply = session.post(
        f"{url}/api/organisations",
        json={
            "name": "Divkāršā biedrība",
            "email": email,
            "domains": [domain],
            "regions": [region],
        },
    )
    assert reply.status_code == 201, reply.text
    org = reply.json()
    session.post(f"{url}/api/organisations/{org['id']}/verify").raise_for_status()
    reply = session.post(
        f"{url}/api/offers",
        json={
            "organisation_id": org["id"],
            "domain": domain,
            "title": "Siltas pusdienas",
            "capacity": 50,
            "regions": [region],
        },
    )
    assert reply.status_code == 201, reply.text
    return org


def matches_for(session, url, need_id):
    items = session.get(f"{url}/api/matches", params={"limit": 500}).json()["items"]
    return [m for m in items if m["need_id"] == need_id]


def test_the_same_need_event_delivered_twice_is_matched_and_mailed_once(own_stack, wait_until):
    from nameko.standalone.events import event_dispatcher

    running = own_stack()
    session, url, email = coordinator(running), running.url, "twice@example.org"
    org_with_offer(session, url, email)
    need_id = new_id("need")
    need = {
        "id": need_id,
        "domain": "social",
        "title": "Pusdienas vecmāmiņai",
        "region": "kurzeme",
        "quantity": 1,
        "status": "open",
        "updated_at": "2026-11-25T00:00:00.000000Z",
    }
    env = events.envelope("need_posted", need, now=utcnow())
    dispatch = event_dispatcher({"AMQP_URI": running.env["AMQP_URI"], "serializer": "json"})
    dispatch("pledges", "need_posted", env)
    dispatch("pledges", "need_posted", env)  # a redelivery: same event id
    found = wait_until(lambda: matches_for(session, url, need_id), bool, timeout=60)
    assert len(found) == 1
    running.mail.wait_for(email, subject="Lūgums palīdzēt", timeout=60)
    dispatch("pledges", "need_posted", env)  # late duplicate, after the effect
    time.sleep(4)
    assert len(matches_for(session, url, need_id)) == 1
    assert len(running.mail.messages(email, subject="Lūgums palīdzēt")) == 1


def test_mail_held_while_smtp_is_down_is_sent_once_it_returns(own_stack, tmp_path, wait_until):
    # the root conftest's SMTP server class, loaded under its own name (two conftests)
    spec = importlib.util.spec_from_file_location("tilts_root_conftest", ROOT / "conftest.py")
    root_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root_conftest)
    from stack import free_port

    sink = root_conftest.MailSink(tmp_path / "mail", free_port())
    (tmp_path / "mail").mkdir()
    sink.start()
    try:
        running = own_stack(SMTP_PORT=str(sink.port), NOTIFY_RETRY_SECONDS="1")
        session, url, email = coordinator(running), running.url, "outage@example.org"
        org_with_offer(session, url, email, domain="health", region="vidzeme")
        sink.stop()  # the mail server goes away
        needs = []
        for n in range(3):
            reply = session.post(
                f"{url}/api/needs",
                json={"domain": "health", "title": f"Nakts mājvieta {n}", "region": "vidzeme"}
                | {"quantity": 1},
            )
            assert reply.status_code == 201, reply.text
            needs.append(reply.json()["id"])
        for need_id in needs:
            found = wait_until(lambda n=need_id: matches_for(session, url, n), bool, timeout=60)
            assert found, f"{need_id} was not proposed while mail was down"
        time.sleep(4)  # notify tries, fails, schedules retries
        assert sink.messages(email, subject="Lūgums palīdzēt") == []
        sink.start()  # back
        sink.wait_for(email, count=len(needs), subject="Lūgums palīdzēt", timeout=120)
        time.sleep(3)
        assert len(sink.messages(email, subject="Lūgums palīdzēt")) == len(needs)
    finally:
        sink.stop()
