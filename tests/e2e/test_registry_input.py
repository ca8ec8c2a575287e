"""The directory's smaller promises over the whole stack: filters, suspension reasons,
the audit trail, body limits and chunked bodies."""

import json
import uuid

import pytest
import requests

pytestmark = pytest.mark.integration


def test_unknown_filter_values_are_a_400_naming_the_filter(stack, client):
    coordinator = client()
    for key, value in (("status", "bogus"), ("domain", "space"), ("region", "mars")):
        reply = coordinator.get(f"{stack.url}/api/organisations", params={key: value})
        assert reply.status_code == 400, key
        assert list(reply.json()["error"]["details"]) == [key]


def test_a_suspension_reason_is_short_text_and_the_trail_shows_who_changed_what(
    stack, client, verified_org
):
    org = verified_org(name=f"Pārbaudāmā biedrība {uuid.uuid4().hex[:6]}")
    coordinator, own = client(), client("organisation", org["id"])
    url = f"{stack.url}/api/organisations/{org['id']}"
    for body in ({"reason": {"x": ["y"]}}, {"reason": "r" * 501}, {"reason": "ok", "by": "x"}):
        reply = coordinator.post(f"{url}/suspend", json=body)
        assert reply.status_code == 400, body
        assert set(reply.json()["error"]["details"]) <= {"reason", "by"}
    assert own.patch(url, json={}).status_code == 200  # changes nothing: no trace
    own.patch(url, json={"regions": ["riga", "kurzeme"]}).raise_for_status()
    coordinator.post(f"{url}/suspend", json={"reason": "dokumenti"}).raise_for_status()
    history = coordinator.get(url).json()["history"]
    assert [h["action"] for h in history] == ["registered", "verified", "updated", "suspended"]
    assert history[2]["by"] == f"organisation:{org['id']}"
    assert history[2]["changes"] == {"regions": {"from": ["riga"], "to": ["riga", "kurzeme"]}}
    assert history[3]["reason"] == "dokumenti"


def test_an_organisations_description_holds_no_ones_personal_data(stack, client):
    """Public in the directory and its exports: the guard reads it (a street in the name
    is fine), and the organisation is told where its own contacts go."""
    tag = uuid.uuid4().hex[:6]
    body = {"name": f"Biedrība Rīgas iela {tag}", "email": f"ri-{tag}@x.org"}
    reply = client().post(
        f"{stack.url}/api/organisations",
        json={**body, "description": "Vadītāja Anna, mob. 29 123 456"},
    )
    assert reply.status_code == 400, reply.text
    [said] = reply.json()["error"]["details"]["description"]
    assert said.startswith("looks like a phone number") and "29 123 456" not in reply.text
    assert client().post(f"{stack.url}/api/organisations", json=body).status_code == 201


def test_the_questionnaires_offers_are_guarded_naming_the_offer_and_field(stack):
    tag = uuid.uuid4().hex[:6]
    reply = requests.post(
        f"{stack.url}/api/questionnaire",
        json={
            "name": f"Anketas biedrība {tag}",
            "email": f"anketa-{tag}@x.org",
            "offers": [
                {"domain": "social", "title": "Zupa", "capacity": 1, "regions": ["riga"]},
                {
                    "domain": "social",
                    "title": "Gultas",
                    "description": "Nāciet uz Brīvības ielu 12, dz. 5, dz. 12.03.1990",
                    "capacity": 1,
                    "regions": ["riga"],
                },
            ],
        },
    )
    assert reply.status_code == 400, reply.text
    said = reply.json()["error"]["details"]["offers"]["1"]["description"]
    assert said == [
        "looks like a date of birth; describe the situation, not the person",
        "looks like a street address; describe the situation, not the person",
    ]


def test_the_questionnaires_413_names_its_own_limit(stack):
    reply = requests.post(
        f"{stack.url}/api/questionnaire",
        data=json.dumps({"name": "x", "email": "a@x.org", "description": "ā" * 40_000}),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 413
    assert reply.json()["error"]["message"] == "the body is larger than 65536 bytes"


def test_a_chunked_body_is_read(stack, client):
    tag = uuid.uuid4().hex[:6]
    body = json.dumps({"name": f"Gabalos sūtītā {tag}", "email": f"ch-{tag}@x.org"}).encode()

    def chunks():
        for at in range(0, len(body), 16):
            yield body[at : at + 16]

    reply = client().post(
        f"{stack.url}/api/organisations",
        data=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["name"] == f"Gabalos sūtītā {tag}"


def test_openapi_describes_what_staff_see_of_an_organisation(stack):
    spec = requests.get(f"{stack.url}/openapi.json").json()
    detail = spec["components"]["schemas"]["OrganisationDetail"]["properties"]
    assert {"held_offers", "history"} <= set(detail)
    answer = spec["paths"]["/api/questionnaire"]["post"]["responses"]["202"]
    assert "QuestionnaireReceipt" in json.dumps(answer)
