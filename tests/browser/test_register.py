"""A new organisation registers at /register in a real headless Chromium (Debian's,
through Playwright) on a phone-sized screen, in Latvian: a mistake comes back beside its
field with everything typed kept; fixed, it is received and emailed; a coordinator
verifies it and its address signs in from the emailed link, landing on /org."""

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from driving import OUTPUT, chromium, drive, in_chromium  # noqa: E402, F401 - the fixture too
from test_signin import sign_in_in_chromium  # noqa: E402

pytestmark = pytest.mark.integration
LEGAL = "Juridiskais atbalsts statusa iegūšanas laikā"


def register_in_chromium(stack, name: str, email: str, tmp_path: Path) -> dict:
    plan = {
        "site": stack.url,
        "shots": str(OUTPUT),
        "prefix": "register",
        "register_link": "Reģistrējiet to Tiltā",
        "send": "Nosūtīt pieteikumu",
        "org_group": "Organizācija",
        "org": {
            "Nosaukums *": name,
            "E-pasta adrese *": email,
            "Tīmekļa vietne": "https://palidziba.example.lv",
            "Ar ko nodarbojas organizācija": "Bezmaksas juridiskā palīdzība patvēruma meklētājiem.",
        },
        "org_choices": [LEGAL, "Rīga", "latviešu", "krievu"],
        "offer_group": "Piedāvājums 1",
        "offer": {
            "Darba grupa *": LEGAL,
            "Nosaukums *": "Konsultācijas par statusa iegūšanu",
            "Apraksts": "Zvaniet Annai: 29 123 456",  # a phone number: the guard refuses
            "Cik daudz *": "3",
            "Mērvienība": "konsultācijas",
            "Vai apjoms atjaunojas?": "katru nedēļu (pirmdienā)",
        },
        "offer_choices": ["Rīga", "krievu", "ukraiņu"],
        "description_label": "Apraksts",
        "fixed_description": "Konsultācijas darba dienās, klātienē vai attālināti.",
    }
    # every input labelled, and no sideways scrolling on a phone
    return drive("register_drive.py", plan, tmp_path, narrow=True)


@in_chromium
def test_a_new_organisation_registers_on_a_phone_is_verified_and_signs_in(stack, client, tmp_path):
    tag = uuid.uuid4().hex[:8]
    name, email = f"Biedrība Palīdzīgā roka {tag}", f"roka-{tag}@example.org"
    steps = register_in_chromium(stack, name, email, tmp_path)
    assert steps["opened"]["url"] == f"{stack.url}/register?lang=lv"
    mistake = steps["mistake"]
    assert mistake["status"] == 400 and mistake["lang"] == "lv"
    assert mistake["beside"].startswith("Tas izskatās pēc tālruņa numura.")
    assert mistake["described_by"] == "offers-0-description-error"
    assert mistake["kept"] == {
        "#name": name,
        "#email": email,
        "#offers-0-title": "Konsultācijas par statusa iegūšanu",
        "#offers-0-capacity": "3",
        "#offers-0-unit": "konsultācijas",
    }
    assert mistake["checked"] == 7  # 4 of the organisation, 3 of the offer
    received = steps["received"]
    assert received["status"] == 200 and "Kas notiks tālāk" in received["text"]
    assert "Koordinators pārbaudīs" in received["text"] and email in received["text"]

    [mail] = stack.mail.wait_for(email, subject="Saņēmām jūsu pieteikumu")
    assert name in mail.get_body(("plain",)).get_content() and name not in mail["Subject"]
    coordinator = client()
    [org] = coordinator.get(f"{stack.url}/api/organisations", params={"q": tag}).json()["items"]
    assert (org["name"], org["status"]) == (name, "pending")
    verified = coordinator.post(f"{stack.url}/api/organisations/{org['id']}/verify")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"

    signed_in = sign_in_in_chromium(stack, email, tmp_path, "register-signin")
    assert signed_in["landed"]["url"] == f"{stack.url}/org"
    assert email in signed_in["landed"]["text"] and org["id"] in signed_in["landed"]["text"]
