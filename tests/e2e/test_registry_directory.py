"""The directory: questionnaire to verified offers, duplicates, search, CSV import,
HSDS/HXL export and erasure, over the whole stack."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import jsonschema
import pytest
import requests
from pymongo import MongoClient

pytestmark = pytest.mark.integration

SCHEMA = (
    Path(__file__).parents[2]
    / "services/gateway/gateway/schemas"
    / "hsds-3.0-organizations.schema.json"
)


def unique(text):
    return f"{text} {uuid.uuid4().hex[:6]}"


def test_a_questionnaire_waits_for_verification_then_its_offers_are_matchable(
    stack, client, wait_until
):
    name = unique("Vidzemes ģimeņu atbalsta centrs")
    email = f"q-{uuid.uuid4().hex[:8]}@example.org"
    reply = requests.post(
        f"{stack.url}/api/questionnaire",
        json={
            "name": name,
            "email": email,
            "kind": "ngo",
            "domains": ["children"],
            "regions": ["vidzeme"],
            "languages": ["lv", "ru"],
            "preferred_language": "lv",
            "offers": [
                {
                    "domain": "children",
                    "title": "Rotaļu istaba bērniem",
                    "capacity": 6,
                    "unit": "children/day",
                    "regions": ["vidzeme"],
                    "languages": ["lv", "ru"],
                }
            ],
        },
    )
    assert reply.status_code == 202, reply.text
    org = reply.json()
    assert org["status"] == "pending" and org["held_offers"] == 1
    coordinator = client()
    offers = coordinator.get(
        f"{stack.url}/api/offers", params={"organisation_id": org["id"]}
    ).json()["items"]
    assert offers == []  # held until verified
    stack.mail.wait_for(email, subject="Saņēmām jūsu pieteikumu")

    coordinator.post(f"{stack.url}/api/organisations/{org['id']}/verify").raise_for_status()
    offers = wait_until(
        lambda: coordinator.get(
            f"{stack.url}/api/offers", params={"organisation_id": org["id"]}
        ).json(),
        lambda page: page["items"],
    )["items"]
    assert [o["title"] for o in offers] == ["Rotaļu istaba bērniem"]
    need = coordinator.post(
        f"{stack.url}/api/needs",
        json={
            "domain": "children",
            "title": "Pieskatīšana divām meitenēm",
            "region": "vidzeme",
            "languages": ["ru"],
            "quantity": 2,
        },
    ).json()
    need = wait_until(
        lambda: coordinator.get(f"{stack.url}/api/needs/{need['id']}").json(),
        lambda n: n["matches"],
    )
    assert need["matches"][0]["organisation_id"] == org["id"]
    coordinator.post(f"{stack.url}/api/needs/{need['id']}/cancel")


def test_a_questionnaire_with_bad_fields_names_each_one(stack):
    reply = requests.post(
        f"{stack.url}/api/questionnaire",
        json={
            "name": "x" * 201,
            "email": "not-an-email",
            "domains": ["space"],
            "regions": ["mars"],
            "description": "d" * 5001,
            "languages": ["xx"],
            "preferred_language": 5,
            "offers": [{"domain": "health", "title": "Ok", "capacity": 0, "regions": []}],
        },
    )
    assert reply.status_code == 400
    details = reply.json()["error"]["details"]
    for field in (
        "name",
        "email",
        "domains",
        "regions",
        "description",
        "languages",
        "preferred_language",
    ):
        assert field in details, field
    assert set(details["offers"]["0"]) == {"capacity", "regions"}


def test_duplicates_are_refused_by_name_form_and_by_email(stack, client):
    coordinator = client()
    tag = uuid.uuid4().hex[:6]
    first = coordinator.post(
        f"{stack.url}/api/organisations",
        json={"name": f'Biedrība "Drošā māja {tag}"', "email": f"dm-{tag}@example.org"},
    ).json()
    same_name = coordinator.post(
        f"{stack.url}/api/organisations",
        json={"name": f"drosa maja {tag}", "email": f"other-{tag}@example.org"},
    )
    assert same_name.status_code == 409
    assert same_name.json()["error"]["details"]["existing_id"] == first["id"]
    same_email = coordinator.post(
        f"{stack.url}/api/organisations",
        json={"name": f"Cits nosaukums {tag}", "email": f"DM-{tag}@example.org"},
    )
    assert same_email.status_code == 409
    assert same_email.json()["error"]["details"]["existing_id"] == first["id"]


def test_search_ignores_diacritics_and_case(stack, client):
    coordinator = client()
    tag = uuid.uuid4().hex[:6]
    org = coordinator.post(
        f"{stack.url}/api/organisations",
        json={
            "name": f"Latvijas Samariešu apvienība {tag}",
            "email": f"sam-{tag}@example.org",
            "domains": ["health"],
            "regions": ["kurzeme"],
        },
    ).json()
    found = coordinator.get(
        f"{stack.url}/api/organisations", params={"q": f"samarieSu apvieniba {tag}"}
    ).json()["items"]
    assert [o["id"] for o in found] == [org["id"]]
    by_filters = coordinator.get(
        f"{stack.url}/api/organisations",
        params={"domain": "health", "region": "kurzeme", "status": "pending", "limit": 500},
    ).json()
    assert org["id"] in [o["id"] for o in by_filters["items"]]


def test_csv_import_reports_each_row_and_a_second_import_creates_nothing(stack, client):
    tag = uuid.uuid4().hex[:6]
    csv_text = (
        "\ufeffname,email,domains,regions,languages,preferred_language\n"
        f"Rīgas Tulki {tag},tulki-{tag}@example.org,legal;social,riga,lv;ru;ar,lv\n"
        f"Русская община {tag},rus-{tag}@example.org,awareness,latgale,ru,en\n"
        f"جمعية المساعدة {tag},arab-{tag}@example.org,social,riga,ar;en,en\n"
        f"rigas tulki {tag},again-{tag}@example.org,legal,riga,lv,lv\n"
        f"Slikta rinda {tag},nav-epasts,space,riga,lv,lv\n"
        f"Salauzta rinda {tag},x@example.org\n"
    )
    coordinator = client()
    first = coordinator.post(
        f"{stack.url}/api/organisations/import",
        data=csv_text.encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )
    assert first.status_code == 200, first.text
    rows = first.json()["rows"]
    assert [r["result"] for r in rows] == [
        "created",
        "created",
        "created",
        "duplicate",
        "invalid",
        "invalid",
    ]
    assert rows[3]["existing_id"] == rows[0]["id"]
    assert set(rows[4]["errors"]) == {"email", "domains"}
    assert "_line" in rows[5]["errors"]
    for row, name in ((rows[1], f"Русская община {tag}"), (rows[2], f"جمعية المساعدة {tag}")):
        assert coordinator.get(f"{stack.url}/api/organisations/{row['id']}").json()["name"] == name
    again = coordinator.post(
        f"{stack.url}/api/organisations/import",
        data=csv_text.encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )
    assert again.json()["summary"] == {"created": 0, "duplicate": 4, "invalid": 2}


def test_the_cli_exports_hsds_that_validates_and_hxl_with_hashtags(
    stack, client, verified_org, tmp_path
):
    org = verified_org(name=unique("Eksporta biedrība"))
    client("organisation", org["id"]).post(
        f"{stack.url}/api/offers",
        json={
            "domain": "employment",
            "title": "Latviešu valodas kursi",
            "capacity": 10,
            "regions": ["riga", "nationwide"],
            "languages": ["lv", "uk"],
        },
    ).raise_for_status()
    env = {**os.environ, "PUBLIC_URL": stack.url, "AUTH_SECRET": stack.secret}
    tilts = [str(Path(sys.executable).parent / "tilts")]
    out = tmp_path / "hsds.json"
    subprocess.run([*tilts, "export", "--format", "hsds", "-o", str(out)], env=env, check=True)
    document = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    [mine] = [o for o in document["organizations"] if o["id"] == org["id"]]
    [service] = mine["services"]
    assert [a["code"] for a in service["languages"]] == ["lv", "uk"]
    assert len(service["service_areas"]) == 2
    hxl = subprocess.run(
        [*tilts, "export", "--format", "hxl"], env=env, check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert hxl[1] == "#org,#sector,#adm1,#contact+email,#status"
    assert any(org["name"] in line for line in hxl[2:])


def test_erasure_leaves_no_contact_or_name_anywhere(
    stack, client, verified_org, wait_until, nx_server
):
    tag = uuid.uuid4().hex[:8]
    org = verified_org(
        name=f"Jānis Bērziņš {tag}",
        kind="individual",
        email=f"janis-{tag}@example.org",
        phone="+371 29 555 111",
        regions=["zemgale"],
        domains=["awareness"],
    )
    own = client("organisation", org["id"])
    offer = own.post(
        f"{stack.url}/api/offers",
        json={
            "domain": "awareness",
            "title": "Sarunas par Latviju",
            "capacity": 2,
            "regions": ["zemgale"],
        },
    ).json()
    need = (
        client()
        .post(
            f"{stack.url}/api/needs",
            json={
                "domain": "awareness",
                "title": "Saruna ģimenei",
                "region": "zemgale",
                "quantity": 1,
            },
        )
        .json()
    )
    stack.mail.wait_for(f"janis-{tag}@example.org", subject="Lūgums palīdzēt")

    held = own.get(f"{stack.url}/api/organisations/{org['id']}/export").json()
    assert held["organisation"]["email"] == f"janis-{tag}@example.org"
    assert [o["id"] for o in held["offers"]] == [offer["id"]]
    assert (
        client("organisation", "org_0000000000000000")
        .delete(f"{stack.url}/api/organisations/{org['id']}")
        .status_code
        == 403
    )
    erased = own.delete(f"{stack.url}/api/organisations/{org['id']}")
    assert erased.status_code == 200 and erased.json()["email"] is None

    def leftovers():
        found = []
        with MongoClient(nx_server) as mongo:
            for name in ("tilts_registry", "tilts_pledges", "tilts_matching", "tilts_notify"):
                for coll in mongo[name].list_collection_names():
                    for doc in mongo[name][coll].find({}):
                        text = json.dumps(doc, default=str, ensure_ascii=False)
                        if f"janis-{tag}" in text or "29 555 111" in text or "Bērziņš" in text:
                            found.append(f"{name}.{coll}")
        return found

    assert wait_until(leftovers, lambda found: not found, timeout=30) == []
    doc = client().get(f"{stack.url}/commitments?format=json&lang=en").json()
    rows = [r for r in doc["commitments"] if r["offer"] == "Sarunas par Latviju"]
    assert rows and rows[0]["organisation"] == "anonymous organisation"
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel")
