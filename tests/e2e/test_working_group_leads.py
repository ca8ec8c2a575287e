"""Working-group leads over the whole stack: a coordinator with `domains` posts, edits
and cancels needs only in those groups (403 naming `domain` elsewhere), reads every
group's; admins and coordinators of every group are not held to any."""

import random
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tilts_contracts.tokens import issue_operator_token

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")


def a_client() -> dict:
    """A client address of its own (as the stack's trusted proxy tells it), so these
    sign-ins count against no other test's hourly limit."""
    return {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.7"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def staff_token(stack, role: str, *domains: str) -> str:
    """A new staff account's personal token, made as a person makes one: the emailed
    link, the session, POST /api/tokens with the page's CSRF token."""
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.org"
    operator = bearer(issue_operator_token(stack.secret, "admin", stack.url))
    body = {"email": email, "role": role, "domains": list(domains)}
    added = requests.post(f"{stack.url}/api/staff", json=body, headers=operator)
    assert added.status_code == 201, added.text
    browser = requests.Session()
    browser.headers.update(a_client())
    form = browser.get(f"{stack.url}/signin?lang=en")
    browser.post(
        f"{stack.url}/signin?lang=en",
        data={"email": email, "csrf": CSRF.search(form.text).group(1)},
    )
    [msg] = stack.mail.wait_for(email, subject="sign-in link")
    link = LINK.search(msg.get_body(("plain",)).get_content()).group(0)
    assert browser.post(link, allow_redirects=False).status_code == 303
    home = browser.get(f"{stack.url}/console?lang=en")
    made = browser.post(
        f"{stack.url}/api/tokens",
        json={"name": "test"},
        headers={"X-CSRF-Token": CSRF.search(home.text).group(1)},
    )
    assert made.status_code == 201, made.text
    return made.json()["token"]


def need(domain: str, **fields) -> dict:
    # a language nobody's offers speak: these needs take no other test's capacity
    return {"domain": domain, "title": "Ārsta konsultācija", "region": "zemgale",
            "quantity": 1, "languages": ["ss"], **fields}  # fmt: skip


def refused_domain(reply: requests.Response) -> None:
    assert reply.status_code == 403, reply.text
    error = reply.json()["error"]
    assert error["code"] == "forbidden" and list(error["details"]) == ["domain"]


def test_a_lead_changes_needs_only_in_its_working_groups(stack):
    lead = bearer(staff_token(stack, "coordinator", "health", "children"))
    admin = bearer(staff_token(stack, "admin"))
    url = f"{stack.url}/api/needs"

    refused_domain(requests.post(url, json=need("legal"), headers=lead))
    ours = requests.post(url, json=need("health"), headers=lead)
    assert ours.status_code == 201, ours.text
    ours = ours.json()
    theirs = requests.post(url, json=need("legal"), headers=admin).json()

    # reads everything, its own groups' and the others'
    assert requests.get(f"{url}/{theirs['id']}", headers=lead).status_code == 200
    listed = requests.get(url, params={"domain": "legal", "limit": 5}, headers=lead)
    assert listed.status_code == 200

    refused_domain(requests.patch(f"{url}/{theirs['id']}", json={"quantity": 2}, headers=lead))
    refused_domain(requests.post(f"{url}/{theirs['id']}/cancel", headers=lead))
    moved = requests.patch(f"{url}/{ours['id']}", json={"domain": "legal"}, headers=lead)
    refused_domain(moved)  # into another group: refused, and nothing changed
    assert requests.get(f"{url}/{ours['id']}", headers=lead).json()["domain"] == "health"
    within = requests.patch(f"{url}/{ours['id']}", json={"domain": "children"}, headers=lead)
    assert within.status_code == 200 and within.json()["domain"] == "children"

    # an unknown group is still the schema's 400, not a 403
    bad = requests.post(url, json=need("cooking"), headers=lead)
    assert bad.status_code == 400 and "domain" in bad.json()["error"]["details"]

    assert requests.post(f"{url}/{ours['id']}/cancel", headers=lead).status_code == 200
    assert requests.post(f"{url}/{theirs['id']}/cancel", headers=admin).status_code == 200


def test_a_coordinator_of_every_group_is_not_held_to_one(stack):
    everyone = bearer(staff_token(stack, "coordinator"))
    posted = requests.post(f"{stack.url}/api/needs", json=need("legal"), headers=everyone)
    assert posted.status_code == 201, posted.text
    cancel = requests.post(f"{stack.url}/api/needs/{posted.json()['id']}/cancel", headers=everyone)
    assert cancel.status_code == 200


def test_the_command_line_says_why_a_lead_is_refused(stack):
    lead = staff_token(stack, "coordinator", "health")
    tilts = str(Path(sys.executable).parent / "tilts")
    env = {
        "PATH": "/usr/bin:/bin",
        "PUBLIC_URL": stack.url,
        "TILTS_TOKEN": lead,
        "HOME": "/nonexistent",
    }
    refused = subprocess.run(
        [tilts, "needs", "post", "--domain", "legal", "--region", "zemgale", "--title", "Jurists",
         "--quantity", "1", "--language", "ss"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stdout == ""
    assert "403 forbidden" in refused.stderr and '"domain"' in refused.stderr
    assert "Traceback" not in refused.stderr
