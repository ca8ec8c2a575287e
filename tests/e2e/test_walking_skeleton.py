"""One need, end to end: organisation -> offer -> need -> email -> one click -> matched."""

import re
import uuid

import pytest
import requests

from conftest import eventually
from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration


def api(stack, role="coordinator", org=None):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(stack.secret, role, org=org)}"
    return session


def test_a_need_reaches_an_organisation_by_email_and_one_click_matches_it(stack):
    coordinator = api(stack)
    unique = uuid.uuid4().hex[:6]
    email_address = f"palidziba-{unique}@example.org"

    # 1. a coordinator registers an organisation and verifies it
    reply = coordinator.post(
        f"{stack.url}/api/organisations",
        json={
            "name": f'Biedrība "Rīgas palīgi {unique}"',
            "kind": "ngo",
            "email": email_address,
            "domains": ["social"],
            "regions": ["riga"],
            "languages": ["lv", "ru"],
            "preferred_language": "lv",
        },
    )
    assert reply.status_code == 201, reply.text
    org = reply.json()
    assert org["status"] == "pending"
    assert org["name"] == f'Biedrība "Rīgas palīgi {unique}"'
    reply = coordinator.post(f"{stack.url}/api/organisations/{org['id']}/verify")
    assert reply.status_code == 200 and reply.json()["status"] == "verified"

    # 2. the organisation pledges an offer with its own token
    own = api(stack, "organisation", org["id"])
    reply = own.post(
        f"{stack.url}/api/offers",
        json={
            "domain": "social",
            "title": "Sociālā darbinieka konsultācijas",
            "capacity": 3,
            "unit": "consultations/week",
            "regions": ["riga"],
            "languages": ["lv", "ru"],
        },
    )
    assert reply.status_code == 201, reply.text
    offer = reply.json()
    assert offer["status"] == "active" and offer["remaining"] == 3
    assert offer["organisation_id"] == org["id"]

    # 3. a coordinator posts a need in the same domain and region
    reply = coordinator.post(
        f"{stack.url}/api/needs",
        json={
            "domain": "social",
            "title": "Ģimenei vajadzīga sociālā darbinieka palīdzība",
            "region": "riga",
            "languages": ["ru"],
            "quantity": 2,
            "urgency": "high",
            "case_ref": "RIX-2015-17",
        },
    )
    assert reply.status_code == 201, reply.text
    need = reply.json()
    assert need["status"] == "open"

    # 4. matching proposes the offer; notify emails the organisation in Latvian
    [msg] = stack.mail.wait_for(email_address, timeout=45, subject="Lūgums palīdzēt")
    assert "Lūgums palīdzēt" in msg["Subject"]
    assert msg["Content-Language"] == "lv"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Ģimenei vajadzīga sociālā darbinieka palīdzība" in text
    links = re.findall(rf"{re.escape(stack.url)}/respond/[\w.-]+", text)
    assert links and links[0] in html
    link = links[0]

    # 5. GET shows the request and changes nothing (mail scanners open links)
    for _ in range(2):
        page = requests.get(link)
        assert page.status_code == 200
        assert "Pieņemt" in page.text and "Atteikt" in page.text
    matches = coordinator.get(f"{stack.url}/api/matches", params={"need_id": need["id"]}).json()
    assert [m["status"] for m in matches["items"]] == ["proposed"]
    assert matches["items"][0]["quantity"] == 2
    assert set(matches["items"][0]["score_breakdown"]) == {
        "region",
        "language",
        "capacity",
        "responsiveness",
        "fairness",
    }

    # ... POST accepts, once
    done = requests.post(link, data={"action": "accept"})
    assert done.status_code == 200 and "pieņēmāt" in done.text
    again = requests.post(link, data={"action": "accept"})
    assert again.status_code == 409

    # the need shows matched, with its match accepted
    need_now = eventually(
        lambda: coordinator.get(f"{stack.url}/api/needs/{need['id']}").json(),
        lambda n: n["status"] == "matched",
    )
    assert need_now["status"] == "matched"
    assert [m["status"] for m in need_now["matches"]] == ["accepted"]
    offer_now = eventually(
        lambda: coordinator.get(f"{stack.url}/api/offers/{offer['id']}").json(),
        lambda o: o["remaining"] == 1,
    )
    assert offer_now["remaining"] == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"domain": "space", "title": "Telpa", "region": "riga", "quantity": 1}, "domain"),
        ({"domain": "health", "region": "riga", "quantity": 1}, "title"),
        ({"domain": "health", "title": "Ārsts", "region": "riga", "quantity": -2}, "quantity"),
    ],
)
def test_a_bad_need_is_refused_with_the_field_named_and_nothing_stored(stack, body, field):
    coordinator = api(stack)
    before = coordinator.get(f"{stack.url}/api/needs", params={"limit": 500}).json()["items"]
    reply = coordinator.post(f"{stack.url}/api/needs", json=body)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]
    after = coordinator.get(f"{stack.url}/api/needs", params={"limit": 500}).json()["items"]
    assert len(after) == len(before)


def test_no_token_is_401_in_the_error_shape(stack):
    reply = requests.post(f"{stack.url}/api/needs", json={"domain": "health"})
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "unauthenticated"
