"""The outbox, subscriptions and parked events page like every other list, and a
digest's one-click opt-out works over HTTP (audit L6, L10)."""

import time
import uuid
from datetime import timedelta

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from tilts_contracts.clock import utcnow
from tilts_contracts.events import envelope
from tilts_contracts.tokens import issue_token, sign_unsubscribe_link

pytestmark = pytest.mark.integration


def api(stack, role="coordinator"):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(stack.secret, role)}"
    return session


def all_pages(session, url: str, limit: int) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        reply = session.get(url, params=params)
        assert reply.status_code == 200, reply.text
        page = reply.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items


def test_parked_events_come_a_page_at_a_time_newest_first(stack):
    dispatch = event_dispatcher({"AMQP_URI": stack.env["AMQP_URI"], "serializer": "json"})
    sent = []
    for _ in range(3):  # a schema version nobody knows: parked, with the reason
        env = {**envelope("need_unmatched", {"need": {}, "covered": 0}), "schema_version": 99}
        dispatch("matching", "need_unmatched", env)
        sent.append(env["event_id"])
    admin = api(stack, "admin")
    url = f"{stack.url}/api/admin/parked-events"

    def parked_ids():
        return [e["event"].get("event_id") for e in all_pages(admin, url, 2)]

    deadline = utcnow() + timedelta(seconds=30)
    while not set(sent) <= set(parked_ids()) and utcnow() < deadline:
        time.sleep(0.3)
    items = all_pages(admin, url, 2)
    keys = [(e["parked_at"], e["service"], e["_id"]) for e in items]
    assert len(set(keys)) == len(keys)  # nothing twice across pages
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
    assert set(sent) <= {e["event"].get("event_id") for e in items}
    assert admin.get(url, params={"cursor": "nonsense"}).status_code == 400


def test_the_outbox_refuses_an_unknown_status_and_subscriptions_page(stack):
    coordinator = api(stack)
    reply = coordinator.get(f"{stack.url}/api/notifications", params={"status": "bogus"})
    assert reply.status_code == 400 and "status" in reply.json()["error"]["details"]
    unique = uuid.uuid4().hex[:8]
    for n in range(3):
        reply = coordinator.post(
            f"{stack.url}/api/subscriptions",
            json={"email": f"k{n}-{unique}@example.org", "domains": ["policy"]},
        )
        assert reply.status_code == 201, reply.text
    subs = all_pages(coordinator, f"{stack.url}/api/subscriptions", 1)
    ours = {s["email"]: s for s in subs if unique in s["email"]}  # others share the stack
    assert set(ours) == {f"k{n}-{unique}@example.org" for n in range(3)}
    assert all(s["delivery"] == "immediate" for s in ours.values())  # the default


def test_a_digests_one_click_link_switches_to_single_emails(stack):
    coordinator = api(stack)
    org_id = f"org_{uuid.uuid4().hex[:24]}"
    prefs = f"{stack.url}/api/organisations/{org_id}/notification-preferences"
    assert coordinator.put(prefs, json={"delivery": "digest"}).json()["delivery"] == "digest"
    token = sign_unsubscribe_link(stack.secret, org_id, utcnow() + timedelta(days=1))
    link = f"{stack.url}/notifications/digest-off/{token}?lang=en"

    asked = requests.get(link)  # a mail scanner's GET changes nothing
    assert asked.status_code == 200 and "instead of the daily digest?" in asked.text
    assert coordinator.get(prefs).json()["delivery"] == "digest"

    done = requests.post(link, data={"List-Unsubscribe": "One-Click"})  # RFC 8058
    assert done.status_code == 200 and "comes as its own email" in done.text
    assert coordinator.get(prefs).json()["delivery"] == "immediate"
