"""Signing in from the emailed link, in a real headless Chromium (Debian's, through
Playwright): an organisation's contact lands on /org, a staff member on /console, and
the link works once."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from driving import OUTPUT, chromium, drive, in_chromium  # noqa: E402, F401 - the fixture too

pytestmark = pytest.mark.integration
TILTS = str(Path(sys.executable).parent / "tilts")


def sign_in_in_chromium(stack, email: str, tmp_path: Path, name: str, locale="lv-LV") -> dict:
    lv = locale.startswith("lv")
    plan = {
        "site": stack.url,
        "email": email,
        "mail_dir": str(stack.mail.dir),
        "shots": str(OUTPUT),
        "prefix": name,
        "locale": locale,
        "email_label": "E-pasta adrese" if lv else "Email address",
        "send": "Sūtīt saiti" if lv else "Send the link",
        "signin": "Pierakstīties" if lv else "Sign in",
    }
    return drive("signin_drive.py", plan, tmp_path)


@in_chromium
def test_an_organisation_contact_signs_in_from_the_email_and_lands_on_org(
    stack, verified_org, tmp_path
):
    email = f"kontakts-{uuid.uuid4().hex[:8]}@example.org"
    org = verified_org(name=f"Pierakstīšanās biedrība {email[8:16]}", email=email)
    steps = sign_in_in_chromium(stack, email, tmp_path, "signin-org")
    assert steps["form"]["status"] == 200 and steps["form"]["lang"] == "lv"
    assert "Pārbaudiet e-pastu" in steps["sent"]["text"]
    assert steps["link"]["status"] == 200 and "Pierakstīties Tiltā" in steps["link"]["text"]
    assert steps["landed"]["url"] == f"{stack.url}/org"
    assert "Jūsu organizācija" in steps["landed"]["text"] and email in steps["landed"]["text"]
    assert org["id"] in steps["landed"]["text"]
    assert "jau ir izmantota" in steps["used"]["text"]  # the link works once


@in_chromium
def test_a_coordinator_signs_in_in_english_and_lands_on_the_console(stack, tmp_path):
    email = f"lead-{uuid.uuid4().hex[:8]}@example.org"
    added = subprocess.run(
        [TILTS, "staff", "add", email, "--role", "coordinator", "--domain", "health"],
        env={
            "PATH": "/usr/bin:/bin",
            "PUBLIC_URL": stack.url,
            "AUTH_SECRET": stack.secret,
            "XDG_CONFIG_HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    steps = sign_in_in_chromium(stack, email, tmp_path, "signin-console", locale="en-GB")
    assert steps["landed"]["url"] == f"{stack.url}/console"
    assert "Coordinators' console" in steps["landed"]["text"]
    assert "Health" in steps["landed"]["text"]
    assert "used already" in steps["used"]["text"]
