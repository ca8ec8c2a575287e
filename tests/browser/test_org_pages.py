"""An organisation's own pages in a real headless Chromium (Debian's, through
Playwright): a verified organisation signs in from the emailed link, adds an offer that
shows on the wall, changes its capacity, pauses and resumes it (the wall follows),
sees the request a coordinator's need brings, accepts it and marks it fulfilled. The
screenshots of /org at 390 and 1280 px go to docs/screenshots/ for the README."""

import sys
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
from driving import OUTPUT, chromium, docs_screenshots, drive, in_chromium  # noqa: E402, F401

from conftest import eventually  # noqa: E402
from tilts_contracts.tokens import issue_token  # noqa: E402

pytestmark = pytest.mark.integration
# the README's pictures go to docs/screenshots/ only when asked (SCREENSHOTS=docs)
DOCS = docs_screenshots() or OUTPUT
WORDS = {
    "email_label": "E-pasta adrese",
    "send": "Sūtīt saiti",
    "signin": "Pierakstīties",
    "domain": "Darba grupa",
    "title": "Nosaukums",
    "capacity": "Apjoms",
    "unit": "Mērvienība",
    "region": "Rīga",
    "other_languages": "Citas valodas",
    "add": "Pievienot piedāvājumu",
    "edit": "Mainīt",
    "save": "Saglabāt",
    "pause": "Apturēt",
    "resume": "Atsākt",
    "accept": "Pieņemt",
    "delivered": "Izpildītais daudzums",
    "fulfil": "Atzīmēt kā izpildītu",
}


def org_plan(stack, email: str, tag: str) -> dict:
    """What org_drive.py types and clicks, and the need a coordinator posts meanwhile."""
    return {
        "site": stack.url,
        "email": email,
        "mail_dir": str(stack.mail.dir),
        "shots": str(OUTPUT),
        "docs": str(DOCS),
        "prefix": "org-pages",
        "locale": "lv-LV",
        "words": WORDS,
        # a language no other test's offers speak: the need can only come to this one
        "offer": {
            "domain": "health",
            "title": f"Psihologa konsultācijas {tag}",
            "unit": "konsultācijas",
            "language": "ik",
        },
        "need": {
            "domain": "health",
            "title": f"Konsultācija ģimenei {tag}",
            "region": "riga",
            "languages": ["ik"],
            "quantity": 2,
        },
        "token": issue_token(stack.secret, "coordinator"),
        "deliver": 1,
    }


@in_chromium
def test_an_organisation_keeps_its_offer_and_answers_its_request_on_org(
    stack, verified_org, tmp_path
):
    tag = uuid.uuid4().hex[:6]
    email = f"org-pages-{tag}@example.org"
    org = verified_org(name=f"Konsultāciju centrs {tag}", email=email)
    plan = org_plan(stack, email, tag)
    title = plan["offer"]["title"]
    steps = drive("org_drive.py", plan, tmp_path, timeout=300)
    assert steps["landed"]["url"] == f"{stack.url}/org"
    assert org["name"] in steps["landed"]["text"]
    assert title in steps["added"]["text"] and "brīvi 2 no 2" in steps["added"]["text"]
    assert title in steps["wall-added"]["text"]
    assert "brīvi 5 no 5" in steps["changed"]["text"]
    assert "apturēts" in steps["paused"]["text"]
    assert title not in steps["wall-paused"]["text"]
    assert steps["wall-resumed"]["title_shown"]
    assert plan["need"]["title"] in steps["requested"]["text"]
    assert "Lūgums pieņemts" in steps["accepted"]["text"]
    assert "Atzīmēts kā izpildīts" in steps["fulfilled"]["text"]

    coordinator = {"Authorization": f"Bearer {plan['token']}"}
    matches = requests.get(
        f"{stack.url}/api/matches",
        params={"need_id": steps["requested"]["need_id"]},
        headers=coordinator,
    ).json()["items"]
    assert [(m["status"], m["delivered"]) for m in matches] == [("fulfilled", 1)]
    rows = eventually(
        lambda: requests.get(f"{stack.url}/commitments?format=json&lang=lv").json()["commitments"],
        lambda found: any(r["offer"] == title and r["fulfilled"] == 1 for r in found),
    )
    assert any(r["offer"] == title and r["fulfilled"] == 1 for r in rows)
    for name in ("overview", "offers", "requests"):
        for width in ("390", "1280"):
            assert (DOCS / f"org-{name}-{width}.png").stat().st_size > 1000
