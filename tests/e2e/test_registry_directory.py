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
    / "services/gateway/gateway/formats/schemas"
    / "hsds-3.0-organizations.schema.json"
)


def unique(text):
    return f"{text} {uuid.uuid4().hex[:6]}"


def find_organisation(stack, coordinator, name: str) -> dict:
    """A coordinator finds an organisation by name (the public answer names no id)."""
    [org] = coordinator.get(f"{stack.url}/api/organisations", params={"q": name}).json()["items"]
    return org


def test_a_questionnaire_waits_for_verification_then_its_offers_are_matchable(
    stack, client, wait_until
):
    name = unique("Vidzemes ģimeņu atbalsta centrs")
    email = f"q-{uuid.uuid4().hex[:8]}@example.org"
    coordinator = client()
    reviewer = f"koord-{uuid.uuid4().hex[:8]}@example.org"
    coordinator.post(
        f"{stack.url}/api/subscriptions",
        json={"email": reviewer, "name": "Bērnu koordinatore", "domains": ["children"]},
    ).raise_for_status()
    reply = requests.post(
        f"{stack.url}/api/questionnaire",
        json={
            "name": name,
            "email": email,
            "kind": "ngo",
            "domains": [],  # its offer says which working group reviews it
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
    receipt = reply.json()
    assert receipt["status"] == "pending" and receipt["held_offers"] == 1
    assert "id" not in receipt and "Paldies" in receipt["message"]["lv"]
    org = find_organisation(stack, coordinator, name)
    offers = coordinator.get(
        f"{stack.url}/api/offers", params={"organisation_id": org["id"]}
    ).json()["items"]
    assert offers == []  # held until verified
    stack.mail.wait_for(email, subject="Saņēmām jūsu pieteikumu")
    [review] = stack.mail.wait_for(reviewer, subject="Jauns pieteikums gaida pārbaudi")
    text = review.get_body(("plain",)).get_content()
    assert name in text and "- Rotaļu istaba bērniem (Bērni, 6 children/day)" in text
    # what the coordinator sees before verifying: the held offer and the trail
    detail = coordinator.get(f"{stack.url}/api/organisations/{org['id']}").json()
    assert [o["title"] for o in detail["held_offers"]] == ["Rotaļu istaba bērniem"]
    assert [(h["action"], h["by"]) for h in detail["history"]] == [("registered", "questionnaire")]
    own = client("organisation", org["id"]).get(f"{stack.url}/api/organisations/{org['id']}")
    assert "history" not in own.json()  # the organisation sees the resource itself

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


def test_a_questionnaire_does_not_tell_whether_an_email_is_registered(stack, client, verified_org):
    org = verified_org(name=unique("Reģistrētā biedrība"), preferred_language="en")
    fresh = requests.post(
        f"{stack.url}/api/questionnaire",
        json={"name": unique("Jauna biedrība"), "email": f"new-{uuid.uuid4().hex[:8]}@x.org"},
    )
    again = requests.post(
        f"{stack.url}/api/questionnaire",
        json={"name": unique("Cits nosaukums"), "email": org["email"].upper()},
    )
    assert fresh.status_code == again.status_code == 202
    assert fresh.json() == again.json()  # the same answer, and no id in it
    assert org["id"] not in again.text
    [told] = stack.mail.wait_for(org["email"], subject="already registered")
    assert org["name"] in told["Subject"]
    assert "nothing was changed" in told.get_body(("plain",)).get_content()


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
        "\n"
        f'"Neaizvērta pēdiņa {tag},quote-{tag}@example.org,legal,riga,lv,lv\n'
        f"Pēc pēdiņas {tag},after-{tag}@example.org,legal,riga,lv,lv\n"
    )
    coordinator = client()
    first = coordinator.post(
        f"{stack.url}/api/organisations/import",
        data=csv_text.encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )
    assert first.status_code == 200, first.text
    rows = first.json()["rows"]
    assert [(r["line"], r["result"]) for r in rows] == [
        (2, "created"),
        (3, "created"),
        (4, "created"),
        (5, "duplicate"),
        (6, "invalid"),
        (7, "invalid"),
        (9, "invalid"),  # the quote never closes: the line after it is still read
        (10, "created"),
    ]
    assert rows[3]["existing_id"] == rows[0]["id"] and rows[3]["matched"] == "name"
    assert rows[3]["name"] == f"rigas tulki {tag}"
    assert set(rows[4]["errors"]) == {"email", "domains"}
    assert "_line" in rows[5]["errors"]
    assert rows[6]["errors"]["_line"] == ['a quote (") opened on line 9 is not closed']
    for row, name in ((rows[1], f"Русская община {tag}"), (rows[2], f"جمعية المساعدة {tag}")):
        assert coordinator.get(f"{stack.url}/api/organisations/{row['id']}").json()["name"] == name
    again = coordinator.post(
        f"{stack.url}/api/organisations/import",
        data=csv_text.encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )
    assert again.json()["summary"] == {"created": 0, "duplicate": 5, "invalid": 3}


def test_an_import_too_big_for_one_request_says_to_use_tilts_import(stack, client):
    lines = "".join(f"Org {n},org{n}@example.org\n" for n in range(1001))
    reply = client().post(
        f"{stack.url}/api/organisations/import",
        data=f"name,email\n{lines}".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert reply.status_code == 413
    assert "tilts import" in reply.json()["error"]["message"]


def test_tilts_import_reports_bad_lines_by_their_line_in_the_file(stack, client, tmp_path):
    tag = uuid.uuid4().hex[:6]
    rows = [f"Importa biedrība {tag} {n},imp-{tag}-{n}@example.org,social" for n in range(60)]
    rows[5] = f'"Neaizvērta {tag},bad-{tag}@example.org,social'  # line 8 of the file
    rows[40] = f"Importa biedrība {tag} 0,dup-{tag}@example.org,social"  # a repeat
    text = "name,email,domains\n\n" + "\n".join(rows) + "\n"  # a blank line 2
    path = tmp_path / "orgs.csv"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "PUBLIC_URL": stack.url, "AUTH_SECRET": stack.secret}
    tilts = str(Path(sys.executable).parent / "tilts")
    done = subprocess.run(
        [tilts, "import", str(path), "--quiet"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[-1] == "created 58, duplicate 1, invalid 1"
    assert out[0] == 'line 8: invalid {"_line": ["a quote (\\") opened on line 8 is not closed"]}'
    assert out[1].startswith(f"line 43 (Importa biedrība {tag} 0): duplicate by name of org_")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    failed = subprocess.run([tilts, "import", str(empty)], env=env, capture_output=True, text=True)
    assert failed.returncode == 1 and "the CSV is empty" in failed.stderr


def test_the_cli_exports_hsds_that_validates_and_hxl_with_hashtags(
    stack, client, verified_org, tmp_path
):
    org = verified_org(name=unique("Eksporta biedrība"), phone="+371 67 123 456")
    pending = (
        client()
        .post(
            f"{stack.url}/api/organisations",
            json={"name": unique("Nepārbaudīta biedrība"), "email": f"p-{uuid.uuid4().hex}@x.org"},
        )
        .json()
    )
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
    jsonschema.validate(
        document, json.loads(SCHEMA.read_text()), format_checker=jsonschema.FormatChecker()
    )

    def by_tilts_id(doc, org_id):
        return [
            o
            for o in doc["organizations"]
            if o["organization_identifiers"][0]["identifier"] == org_id
        ]

    [mine] = by_tilts_id(document, org["id"])
    assert mine["phones"][0]["number"] == "+371 67 123 456"
    [service] = mine["services"]
    assert [a["code"] for a in service["languages"]] == ["lv", "uk"]
    assert len(service["service_areas"]) == 2
    assert by_tilts_id(document, pending["id"]) == []  # only verified ones, by default
    subprocess.run(
        [*tilts, "export", "--format", "hsds", "--include-unverified", "-o", str(out)],
        env=env,
        check=True,
    )
    assert by_tilts_id(json.loads(out.read_text(encoding="utf-8")), pending["id"])
    hxl = subprocess.run(
        [*tilts, "export", "--format", "hxl"], env=env, check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert hxl[1] == "#org,#sector,#adm1,#contact+email,#status"
    assert any(org["name"] in line for line in hxl[2:])


def test_erasure_leaves_no_contact_or_name_anywhere(stack, client, wait_until, nx_server):
    """A person registers through the questionnaire, with their name in an offer's
    text; a coordinator follows the domain; the offer is matched and emailed. After the
    person erases themselves, no database of any service holds their name, email or
    phone number (the offer itself stays, anonymous, in the commitment document)."""
    # letters only: a run of digits in a description reads as a phone number to the guard
    tag = uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    coordinator = client()
    reviewer = f"koord-{tag}@example.org"
    coordinator.post(
        f"{stack.url}/api/subscriptions", json={"email": reviewer, "domains": ["awareness"]}
    ).raise_for_status()
    name, email = f"Jānis Ozoliņš {tag}", f"janis-{tag}@example.org"
    title = f"Sarunas par Latviju {tag}"
    reply = requests.post(
        f"{stack.url}/api/questionnaire",
        json={
            "name": name,
            "kind": "individual",
            "email": email,
            "phone": "+371 29 555 111",
            "description": f"Es esmu Jānis Ozoliņš no Jelgavas {tag}",
            "domains": ["awareness"],
            "regions": ["zemgale"],
            "offers": [
                {
                    "domain": "awareness",
                    "title": title,
                    "description": f"Sarunas vada Jānis Ozoliņš {tag}",
                    "capacity": 2,
                    "regions": ["zemgale"],
                }
            ],
        },
    )
    assert reply.status_code == 202, reply.text
    stack.mail.wait_for(reviewer, subject="Jauns pieteikums gaida pārbaudi")
    org = find_organisation(stack, coordinator, tag)
    coordinator.post(f"{stack.url}/api/organisations/{org['id']}/verify").raise_for_status()
    own = client("organisation", org["id"])
    [offer] = wait_until(
        lambda: own.get(f"{stack.url}/api/offers", params={"organisation_id": org["id"]}).json(),
        lambda page: page["items"],
    )["items"]
    need = coordinator.post(
        f"{stack.url}/api/needs",
        json={
            "domain": "awareness",
            "title": "Saruna ģimenei",
            "region": "zemgale",
            "quantity": 1,
            "urgency": "low",
        },
    ).json()
    stack.mail.wait_for(email, subject="Lūgums palīdzēt")

    held = own.get(f"{stack.url}/api/organisations/{org['id']}/export").json()
    assert held["organisation"]["email"] == email
    assert [o["id"] for o in held["offers"]] == [offer["id"]]
    assert any(n["template"] == "match_proposed" for n in held["notifications"])
    assert (
        client("organisation", "org_0000000000000000")
        .delete(f"{stack.url}/api/organisations/{org['id']}")
        .status_code
        == 403
    )
    erased = own.delete(f"{stack.url}/api/organisations/{org['id']}")
    assert erased.status_code == 200 and erased.json()["email"] is None

    # tagged: other tests on this stack may name Jelgava in an organisation that stays
    needles = (f"janis-{tag}", f"Ozoliņš {tag}", "29 555 111", f"Jelgavas {tag}")

    def leftovers():
        found = []
        with MongoClient(nx_server) as mongo:
            for db in (n for n in mongo.list_database_names() if n.startswith("tilts_")):
                for coll in mongo[db].list_collection_names():
                    for doc in mongo[db][coll].find({}):
                        text = json.dumps(doc, default=str, ensure_ascii=False)
                        found += [f"{db}.{coll}: {n}" for n in needles if n in text]
        return found

    found = wait_until(leftovers, lambda found: not found, timeout=30)
    assert found == []
    kept = own.get(f"{stack.url}/api/offers/{offer['id']}").json()
    assert (kept["title"], kept["description"], kept["capacity"]) == ("—", "", 2)
    # the commitment document keeps the offer, under no name and with no text of it
    doc = client().get(f"{stack.url}/commitments?format=json&lang=en").json()
    assert title not in str(doc)
    rows = [
        r
        for r in doc["commitments"]
        if r["offer"] == "—" and r["capacity"] == 2 and r["regions"] == "Zemgale"
    ]
    assert rows and rows[0]["organisation"] == "anonymous organisation"
    # nobody can be asked for it any more: off the wall, though its record stays above
    assert title not in client().get(f"{stack.url}/wall?lang=en").text
    # and nothing brings it back or writes under its name (its token may still be valid)
    for action in ("suspend", "verify"):
        again = coordinator.post(f"{stack.url}/api/organisations/{org['id']}/{action}")
        assert again.status_code == 409, again.text
    pledged = own.post(
        f"{stack.url}/api/offers",
        json={"domain": "legal", "title": "Vēl viens", "capacity": 1, "regions": ["riga"]},
    )
    assert pledged.status_code == 409, pledged.text
    edited = own.patch(f"{stack.url}/api/offers/{offer['id']}", json={"description": "Zvani"})
    assert edited.status_code == 409, edited.text
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel")
