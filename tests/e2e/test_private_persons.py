"""A private person (an organisation of kind individual) who pledges help is never
named in public: the wall and the commitment document (page, JSON, Markdown, CSV)
show "a private person" / "privātpersona" with the offer, the dashboard names nobody,
and the HSDS and HXL exports give neither name nor contacts."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def person(stack, client, verified_org):
    """A verified private person with a public offer: their name, contacts and offer."""
    tag = uuid.uuid4().hex[:8]
    org = verified_org(
        name=f"Anna Bērziņa {tag}",
        kind="individual",
        email=f"anna-{tag}@example.lv",
        phone="+371 29 777 888",
        website=f"https://anna-{tag}.example.lv",
        description=f"Esmu Anna Bērziņa {tag}, skolotāja",
    )
    offer = client("organisation", org["id"]).post(
        f"{stack.url}/api/offers",
        json={
            "domain": "social",
            "title": f"Istaba ģimenei {tag}",
            "capacity": 1,
            "regions": ["riga"],
        },
    )
    assert offer.status_code == 201, offer.text
    needles = (f"Bērziņa {tag}", f"anna-{tag}", "29 777 888")
    yield org, offer.json(), needles
    client("organisation", org["id"]).post(f"{stack.url}/api/offers/{offer.json()['id']}/withdraw")


def test_public_pages_show_a_private_person_with_the_offer(stack, client, person):
    org, offer, needles = person
    public = client()
    public.headers.pop("Authorization")
    for lang, word in (("lv", "privātpersona"), ("en", "a private person")):
        wall = public.get(f"{stack.url}/wall", params={"lang": lang, "region": "riga"})
        assert wall.status_code == 200
        assert offer["title"] in wall.text
        assert [n for n in needles if n in wall.text] == []
        assert word in wall.text
        for fmt in ("html", "md", "csv", "json"):
            doc = public.get(f"{stack.url}/commitments", params={"lang": lang, "format": fmt})
            assert doc.status_code == 200, doc.text
            assert [n for n in needles if n in doc.text] == [], (lang, fmt)
        rows = public.get(f"{stack.url}/commitments", params={"lang": lang, "format": "json"})
        mine = [r for r in rows.json()["commitments"] if r["offer"] == offer["title"]]
        assert [r["organisation"] for r in mine] == [word]
        board = public.get(f"{stack.url}/dashboard", params={"lang": lang})
        assert board.status_code == 200
        assert [n for n in needles if n in board.text] == []


def test_exports_give_no_name_or_contact_of_a_private_person(stack, person, tmp_path):
    org, offer, needles = person
    env = {**os.environ, "PUBLIC_URL": stack.url, "AUTH_SECRET": stack.secret}
    tilts = [str(Path(sys.executable).parent / "tilts")]
    out = tmp_path / "hsds.json"
    subprocess.run([*tilts, "export", "--format", "hsds", "-o", str(out)], env=env, check=True)
    text = out.read_text(encoding="utf-8")
    assert [n for n in (*needles, org["website"]) if n in text] == []
    [mine] = [
        o
        for o in json.loads(text)["organizations"]
        if o["organization_identifiers"][0]["identifier"] == org["id"]
    ]
    assert mine["name"] == "a private person"
    assert "email" not in mine and "website" not in mine and not mine.get("phones")
    assert [s["name"] for s in mine["services"]] == [offer["title"]]  # the offer stays
    hxl = subprocess.run(
        [*tilts, "export", "--format", "hxl"], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert [n for n in needles if n in hxl] == []
    assert any(line.startswith("a private person,social,riga,,") for line in hxl.splitlines())
    flat = subprocess.run(
        [*tilts, "export", "--format", "csv"], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert [n for n in (*needles, org["website"]) if n in flat] == []
    assert any(line.startswith("a private person,individual,,,,,") for line in flat.splitlines())
