"""The emailed link and the email itself, over the whole stack: Riga time, the
organisation's language whatever the browser says, a clear page for a link that is
used, withdrawn or expired, and replies that reach the coordinator (audit M1, M2, M4,
M6, L10)."""

import random
import re
import uuid
from datetime import timedelta

import pytest
import requests

from conftest import eventually
from tilts_contracts.clock import utcnow
from tilts_contracts.tokens import issue_token, sign_response_link

pytestmark = pytest.mark.integration


def api(stack, role="coordinator", org=None, sub=None):
    session = requests.Session()
    token = issue_token(stack.secret, role, org=org, sub=sub)
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def organisation_with_offer(stack, language: str, speaks: str) -> tuple[dict, str]:
    """A verified organisation whose one offer speaks a language no other test uses."""
    coordinator = api(stack)
    address = f"links-{uuid.uuid4().hex[:10]}@example.org"
    reply = coordinator.post(
        f"{stack.url}/api/organisations",
        json={
            "name": f"Palīgi {uuid.uuid4().hex[:6]}",
            "email": address,
            "domains": ["legal"],
            "regions": ["kurzeme"],
            "preferred_language": language,
        },
    )
    assert reply.status_code == 201, reply.text
    org = reply.json()
    assert coordinator.post(f"{stack.url}/api/organisations/{org['id']}/verify").ok
    reply = api(stack, "organisation", org["id"]).post(
        f"{stack.url}/api/offers",
        json={
            "domain": "legal",
            "title": "Juridiskas konsultācijas",
            "capacity": 2,
            "regions": ["kurzeme"],
            "languages": [speaks],
        },
    )
    assert reply.status_code == 201, reply.text
    return org, address


def post_need(stack, speaks: str, coordinator=None) -> dict:
    """A need only this test's offer can serve, with a title of its own: the offer's spare
    place may also go to another test's need that names no language (one shared stack)."""
    reply = (coordinator or api(stack)).post(
        f"{stack.url}/api/needs",
        json={
            "domain": "legal",
            # letters only: digits could read as a phone number to the privacy guard
            "title": f"Palīdzība ar dokumentiem {''.join(random.choices('abcdefgh', k=8))}",
            "region": "kurzeme",
            "languages": [speaks],
            "quantity": 1,
        },
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def request_email(stack, address: str, subject: str, need: dict):
    """The newest email about `need` (a proposal taken back at once is made again, and
    its first mail may be out)."""

    def about_need():
        found = stack.mail.messages(address, subject)
        return [m for m in found if need["title"] in m.get_body(("plain",)).get_content()]

    mine = eventually(about_need, bool, timeout=45)
    assert mine, f"no {subject!r} email about {need['title']!r} to {address}"
    msg = mine[-1]
    text = msg.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(stack.url)}/respond/[\w.-]+", text).group()
    return msg, text, link


def test_an_english_organisation_reads_its_page_in_english_in_riga_time_and_a_used_link_says_so(
    stack,
):
    org, address = organisation_with_offer(stack, "en", "ti")
    need = post_need(stack, "ti")
    msg, text, link = request_email(stack, address, "Request for help", need)
    assert "(Riga time)" in text and "UTC" not in text

    # a browser that asks for German, or for nothing, still gets the organisation's English
    for headers in ({}, {"Accept-Language": "de"}):
        page = requests.get(link, headers=headers)
        assert page.status_code == 200 and "Accept" in page.text and "Decline" in page.text
        assert "(Riga time)" in page.text and "UTC" not in page.text
    matches = api(stack).get(f"{stack.url}/api/matches", params={"need_id": need["id"]})
    [match] = [m for m in matches.json()["items"] if m["status"] == "proposed"]
    day = re.search(r"\d{1,2} \w+ \d{4}, \d\d:\d\d \(Riga time\)", page.text).group()
    assert day in text  # the page and the email say the same deadline

    done = requests.post(link, data={"action": "decline"})
    assert done.status_code == 200 and "Thank you for answering" in done.text
    again = requests.get(link, headers={"Accept-Language": "lv"})
    assert "You have already declined this request." in again.text
    assert "(status:" not in again.text
    replay = requests.post(link, data={"action": "accept"})
    assert replay.status_code == 409 and "You have already declined" in replay.text
    for form in ({}, {"action": "maybe"}):  # no live buttons on an answered request
        replay = requests.post(link, data=form)
        assert replay.status_code == 409 and "You have already declined" in replay.text
        assert "<button" not in replay.text and "<form" not in replay.text

    # the same link after its deadline: still English, still what became of the request
    late = sign_response_link(stack.secret, match["id"], org["id"], utcnow() - timedelta(minutes=1))
    expired = requests.get(f"{stack.url}/respond/{late}", headers={"Accept-Language": "lv"})
    assert expired.status_code == 410
    assert "You have already declined this request." in expired.text
    # the organisation's own page: never kept by a shared cache, one copy per language
    assert expired.headers["Cache-Control"] == "private, no-store"
    assert "Accept-Language" in expired.headers["Vary"]
    assert expired.headers["Content-Language"] == "en"


def test_a_withdrawn_request_says_so_in_latvian_not_already_answered(stack):
    org, address = organisation_with_offer(stack, "lv", "so")
    need = post_need(stack, "so")
    _, text, link = request_email(stack, address, "Lūgums palīdzēt", need)
    assert "(Rīgas laiks)" in text
    assert api(stack).post(f"{stack.url}/api/needs/{need['id']}/cancel").ok
    page = eventually(
        lambda: requests.get(link, headers={"Accept-Language": "en"}),
        lambda p: "atsaukts" in p.text,
    )
    assert "Šis lūgums vairs nav aktuāls: tas ir atsaukts. Jums nekas nav jādara." in page.text
    assert "statuss" not in page.text and "cancelled" not in page.text


def test_an_expired_link_to_an_open_request_is_in_the_organisations_language(stack):
    org, address = organisation_with_offer(stack, "en", "ka")
    need = post_need(stack, "ka")
    request_email(stack, address, "Request for help", need)
    matches = api(stack).get(f"{stack.url}/api/matches", params={"need_id": need["id"]})
    [match] = [m for m in matches.json()["items"] if m["status"] == "proposed"]
    late = sign_response_link(stack.secret, match["id"], org["id"], utcnow() - timedelta(hours=1))
    page = requests.get(f"{stack.url}/respond/{late}")  # no Accept-Language at all
    assert page.status_code == 410
    assert "This link has expired." in page.text
    api(stack).post(f"{stack.url}/api/needs/{need['id']}/cancel")


def test_an_answer_to_the_email_reaches_the_coordinator_who_posted_the_need(stack):
    org, address = organisation_with_offer(stack, "lv", "be")
    anna = api(stack, sub="anna.koordinatore@example.org")
    need = post_need(stack, "be", coordinator=anna)
    assert need["posted_by"] == "anna.koordinatore@example.org"
    msg, _, _ = request_email(stack, address, "Lūgums palīdzēt", need)
    assert msg["Reply-To"] == "anna.koordinatore@example.org"
    assert msg["Date"] is not None and msg["Date"].datetime.tzinfo is not None

    # the outbox shows whom replies go to; resending what just went is a double click
    coordinator = api(stack)
    note = coordinator.get(
        f"{stack.url}/api/notifications",
        params={"recipient": address, "template": "match_proposed"},
    ).json()["items"][-1]
    assert note["reply_to"] == "anna.koordinatore@example.org" and note["status"] == "sent"
    again = coordinator.post(f"{stack.url}/api/notifications/{note['id']}/resend")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    coordinator.post(f"{stack.url}/api/needs/{need['id']}/cancel")


def test_a_title_with_a_line_break_is_refused_at_the_door_naming_the_field(stack):
    coordinator = api(stack)
    for breaking in ("\n", "\u2028"):
        reply = coordinator.post(
            f"{stack.url}/api/needs",
            json={
                "domain": "legal",
                "title": f"Ārsts bērnam{breaking}otrā rindā",
                "region": "kurzeme",
                "quantity": 1,
            },
        )
        assert reply.status_code == 400, reply.text
        assert "title" in reply.json()["error"]["details"]
