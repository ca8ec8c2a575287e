"""A coordinator's work on /console in a real headless Chromium (Debian's, through
Playwright), typed and clicked at a phone's width: the privacy guard's refusal beside
the field with the text kept, a need matched with the reason in words, another
cancelled, a registration verified and emailed, and a lead held to its group.

With SCREENSHOTS=docs it also renews docs/screenshots/ (390 and 1280 px)."""

import sys
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
from driving import OUTPUT, chromium, docs_screenshots, drive, in_chromium  # noqa: E402, F401

from tilts_contracts.tokens import issue_operator_token  # noqa: E402

pytestmark = pytest.mark.integration
REGION, LANGUAGE = "zemgale", "ka"  # no other test's offers: this need is ours to match


def add_staff(stack, email: str, *domains: str) -> None:
    operator = {"Authorization": f"Bearer {issue_operator_token(stack.secret, 'admin', stack.url)}"}
    body = {"email": email, "role": "coordinator", "domains": list(domains)}
    assert requests.post(f"{stack.url}/api/staff", json=body, headers=operator).status_code == 201


@in_chromium
def test_a_coordinators_morning_on_the_console(stack, verified_org, client, tmp_path):
    unique = uuid.uuid4().hex[:8]
    org = verified_org(name=f"Jelgavas ārstu biedrība {unique}", domains=["health"],
                       regions=[REGION], languages=[LANGUAGE])  # fmt: skip
    offer = {"domain": "health", "title": "Ārsta konsultācija", "capacity": 1,
             "regions": [REGION], "languages": [LANGUAGE]}  # fmt: skip
    client("organisation", org["id"]).post(f"{stack.url}/api/offers", json=offer).raise_for_status()
    other = client().post(f"{stack.url}/api/needs", json={
        "domain": "social", "title": "Gultasveļa", "region": REGION, "quantity": 2,
        "languages": ["ss"]}).json()  # fmt: skip
    pending = {"name": f"Dobeles brīvprātīgie {unique}", "email": f"dobele-{unique}@example.org",
               "preferred_language": "lv"}  # fmt: skip
    client().post(f"{stack.url}/api/organisations", json=pending).raise_for_status()
    email, lead = f"koord-{unique}@example.org", f"vaditajs-{unique}@example.org"
    add_staff(stack, email)
    add_staff(stack, lead, "health")

    docs = docs_screenshots()
    plan = {
        "site": stack.url, "mail_dir": str(stack.mail.dir), "shots": str(OUTPUT),
        "prefix": "console", "docs": str(docs) if docs else None,
        "email": email, "lead": lead, "title": f"Ārsts bērnam {unique}", "region": REGION,
        "with_phone": "Mamma lūdz zvanīt: 29 123 456, pēc 17:00",
        "fixed": "Mamma lūdz pieņemšanu pēc 17:00", "org_name": org["name"],
        "other_need": other["id"], "pending_name": pending["name"],
    }  # fmt: skip
    # every field labelled, nothing wider than a phone
    steps = drive("console_drive.py", plan, tmp_path, timeout=300, narrow=True)

    assert "Koordinatoru konsole" in steps["home"]["text"]
    refused = steps["refused"]
    assert "Izskatās pēc tālruņa numura" in refused["text"]
    assert refused["description"] == "Mamma lūdz zvanīt: 29 123 456, pēc 17:00"  # kept
    said = steps["matched"]["text"]
    assert org["name"] in said and "tas pats reģions (Zemgale)" in said
    assert "runā gruzīnu valodā" in said and "nosedz visu vajadzīgo (1)" in said
    assert "Vajadzība ir atcelta." in steps["cancelled"]["text"]
    assert client().get(f"{stack.url}/api/needs/{other['id']}").json()["status"] == "cancelled"
    assert f"{pending['name']} ir apstiprināta" in steps["verified"]["text"]
    stack.mail.wait_for(pending["email"], subject="apstiprināta")

    assert steps["lead-form"]["groups"] == ["health"]
    assert steps["lead-refused"]["status"] == 403
    assert "Juridiskais atbalsts" in steps["lead-refused"]["text"]
    assert "Jūs vadāt: Veselība" in steps["lead-refused"]["text"]
