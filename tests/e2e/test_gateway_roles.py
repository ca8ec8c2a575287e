"""Who may do what: every protected endpoint against every kind of caller."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests

from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration

STAFF_ONLY = {"admin": "ok", "coordinator": "ok", "own": 403, "other": 403}
OWNER_OR_STAFF = {"admin": "ok", "coordinator": "ok", "own": "ok", "other": 403}
ADMIN_OR_OWNER = {"admin": "ok", "coordinator": 403, "own": "ok", "other": 403}
EVERYONE = {"admin": "ok", "coordinator": "ok", "own": "ok", "other": "ok"}

# (method, path, body, expected by caller); {org}, {offer}, {need}, {match} are filled in
MATRIX = [
    ("GET", "/api/organisations", None, STAFF_ONLY),
    ("POST", "/api/organisations", {"name": "x"}, STAFF_ONLY),
    ("GET", "/api/organisations/{org}", None, OWNER_OR_STAFF),
    ("PATCH", "/api/organisations/{org}", {"description": "Atjaunināts apraksts"}, OWNER_OR_STAFF),
    ("POST", "/api/organisations/{org}/verify", None, STAFF_ONLY),
    ("POST", "/api/organisations/import", None, STAFF_ONLY),
    ("GET", "/api/organisations/{org}/export", None, ADMIN_OR_OWNER),
    ("GET", "/api/organisations/{org}/notification-preferences", None, OWNER_OR_STAFF),
    (
        "PUT",
        "/api/organisations/{org}/notification-preferences",
        {"delivery": "immediate"},
        OWNER_OR_STAFF,
    ),
    (
        "POST",
        "/api/offers",
        {
            "organisation_id": "{org}",
            "domain": "legal",
            "title": "Jurists",
            "capacity": 1,
            "regions": ["zemgale"],
        },
        OWNER_OR_STAFF,
    ),
    ("GET", "/api/offers/{offer}", None, OWNER_OR_STAFF),
    ("PATCH", "/api/offers/{offer}", {"unit": "hours"}, OWNER_OR_STAFF),
    ("GET", "/api/offers", None, EVERYONE),
    ("POST", "/api/needs", {"domain": "space"}, STAFF_ONLY),
    ("GET", "/api/needs", None, STAFF_ONLY),
    ("GET", "/api/needs/{need}", None, STAFF_ONLY),
    ("PATCH", "/api/needs/{need}", {"description": "x"}, STAFF_ONLY),
    ("GET", "/api/matches", None, EVERYONE),
    ("POST", "/api/matches/{match}/fulfil", None, OWNER_OR_STAFF),
    ("GET", "/api/notifications", None, STAFF_ONLY),
    ("GET", "/api/subscriptions", None, STAFF_ONLY),
    ("POST", "/api/subscriptions", {"email": "bad"}, STAFF_ONLY),
    (
        "GET",
        "/api/admin/parked-events",
        None,
        {"admin": "ok", "coordinator": 403, "own": 403, "other": 403},
    ),
    ("GET", "/api/admin/stats", None, STAFF_ONLY),
    # state changes run on throw-away resources (spare_*): the first allowed caller acts,
    # the next ones get 409, which is still "allowed"; a refused caller gets 403 first
    ("POST", "/api/organisations/{spare_org}/suspend", {"reason": "pārbaude"}, STAFF_ONLY),
    ("POST", "/api/offers/{spare_offer}/withdraw", None, OWNER_OR_STAFF),
    ("POST", "/api/needs/{spare_need}/cancel", None, STAFF_ONLY),
    ("POST", "/api/matches/{match}/accept", None, OWNER_OR_STAFF),  # accepted already: 409
    ("POST", "/api/matches/{match}/decline", None, OWNER_OR_STAFF),  # and so cannot decline
    ("POST", "/api/notifications/ntf_0123456789abcdef/resend", None, STAFF_ONLY),  # 404
    ("DELETE", "/api/subscriptions/sub_0123456789abcdef", None, STAFF_ONLY),  # 404
]


@pytest.fixture(scope="module")
def world(stack):
    staff = requests.Session()
    staff.headers["Authorization"] = f"Bearer {issue_token(stack.secret, 'coordinator')}"

    def org(name, email):
        made = staff.post(
            f"{stack.url}/api/organisations",
            json={"name": name, "email": email, "domains": ["legal"], "regions": ["zemgale"]},
        ).json()
        staff.post(f"{stack.url}/api/organisations/{made['id']}/verify").raise_for_status()
        return made["id"]

    own, other = org("Zemgales juristi", "zj@example.org"), org("Cita biedrība", "cb@example.org")
    offer = staff.post(
        f"{stack.url}/api/offers",
        json={
            "organisation_id": own,
            "domain": "legal",
            "title": "Juridiskā konsultācija",
            "capacity": 50,
            "regions": ["zemgale"],
            "languages": ["za"],  # no other test's offer or need speaks it: this pair meets
        },
    ).json()["id"]
    need = staff.post(
        f"{stack.url}/api/needs",
        json={
            "domain": "legal",
            "title": "Konsultācija par statusu",
            "region": "zemgale",
            "quantity": 1,
            "languages": ["za"],
        },
    ).json()["id"]
    match = None
    for _ in range(100):
        found = staff.get(f"{stack.url}/api/matches", params={"need_id": need}).json()["items"]
        if found:
            match = found[0]["id"]
            break
        __import__("time").sleep(0.2)
    staff.post(f"{stack.url}/api/matches/{match}/accept").raise_for_status()
    spare_org = org("Apturamā biedrība", "ab@example.org")
    spare_offer = staff.post(
        f"{stack.url}/api/offers",
        json={
            "organisation_id": own,
            "domain": "legal",
            "title": "Atsaucamā konsultācija",
            "capacity": 1,
            "regions": ["zemgale"],
        },
    ).json()["id"]
    spare_need = staff.post(
        f"{stack.url}/api/needs",
        json={
            "domain": "policy",
            "title": "Atceļamā vajadzība",
            "region": "latgale",
            "quantity": 1,
        },
    ).json()["id"]
    yield {
        "org": own,
        "other": other,
        "offer": offer,
        "need": need,
        "match": match,
        "spare_org": spare_org,
        "spare_offer": spare_offer,
        "spare_need": spare_need,
    }
    staff.post(f"{stack.url}/api/needs/{need}/cancel")


def headers(stack, world, caller):
    role = {"own": "organisation", "other": "organisation"}.get(caller, caller)
    org = {"own": world["org"], "other": world["other"]}.get(caller)
    return {"Authorization": f"Bearer {issue_token(stack.secret, role, org=org)}"}


def fill(value, world):
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "method, path, body, expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_the_role_matrix(stack, world, method, path, body, expected):
    url = stack.url + fill(path, world)
    nobody = requests.request(method, url, json=fill(body, world))
    assert nobody.status_code == 401 and nobody.json()["error"]["code"] == "unauthenticated"
    for caller, outcome in expected.items():
        reply = requests.request(
            method, url, json=fill(body, world), headers=headers(stack, world, caller)
        )
        if outcome == "ok":
            assert reply.status_code not in (401, 403, 500), (caller, reply.text)
        else:
            assert reply.status_code == outcome, (caller, reply.text)
            assert reply.json()["error"]["code"] == "forbidden"


def test_only_an_admin_or_the_organisation_itself_may_erase_it(stack, world):
    staff = {"Authorization": f"Bearer {issue_token(stack.secret, 'coordinator')}"}

    def throw_away(name):
        made = requests.post(
            f"{stack.url}/api/organisations",
            json={"name": name, "email": f"erase-{uuid.uuid4().hex[:8]}@example.org"},
            headers=staff,
        )
        assert made.status_code == 201, made.text
        return made.json()["id"]

    mine, theirs = throw_away("Dzēšamā biedrība"), throw_away("Adminam dzēšamā")
    url = f"{stack.url}/api/organisations/{mine}"
    assert requests.delete(url).status_code == 401
    for caller in ("coordinator", "other", "own"):  # "own" is another organisation here
        refused = requests.delete(url, headers=headers(stack, world, caller))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    itself = {"Authorization": f"Bearer {issue_token(stack.secret, 'organisation', org=mine)}"}
    assert requests.delete(url, headers=itself).status_code == 200
    erased = requests.delete(
        f"{stack.url}/api/organisations/{theirs}", headers=headers(stack, world, "admin")
    )
    assert erased.status_code == 200, erased.text


def test_an_organisation_sees_only_its_own_matches_and_offers(stack, world):
    mine = requests.get(f"{stack.url}/api/matches", headers=headers(stack, world, "own")).json()[
        "items"
    ]
    theirs = requests.get(
        f"{stack.url}/api/matches",
        params={"organisation_id": world["org"]},
        headers=headers(stack, world, "other"),
    ).json()["items"]
    assert world["match"] in [m["id"] for m in mine]
    assert theirs == []
    offers = requests.get(
        f"{stack.url}/api/offers",
        params={"organisation_id": world["org"]},
        headers=headers(stack, world, "other"),
    ).json()["items"]
    assert offers == []


@pytest.mark.parametrize("token", ["expired", "forged", "garbage", "response-link"])
def test_bad_tokens_are_401(stack, world, token):
    now = datetime.now(UTC)
    tokens = {
        "expired": issue_token(stack.secret, "admin", now=now - timedelta(days=60), days=1),
        "forged": jwt.encode(
            {"role": "admin", "exp": now + timedelta(days=1)},
            "not-the-secret-but-32-bytes-long!!",
            algorithm="HS256",
        ),
        "garbage": "abc.def.ghi",
        "response-link": jwt.encode(
            {
                "purpose": "respond",
                "match": "m",
                "org": "o",
                "role": "admin",
                "exp": now + timedelta(days=1),
            },
            stack.secret,
            algorithm="HS256",
        ),
    }
    reply = requests.get(
        f"{stack.url}/api/needs", headers={"Authorization": f"Bearer {tokens[token]}"}
    )
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthenticated"
