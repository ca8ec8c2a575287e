"""People and access over the whole stack (real RabbitMQ, NX-27017 and SMTP): signing
in by emailed link, sessions and CSRF, personal tokens (revoked, suspended, of another
server), the command line without AUTH_SECRET, staff accounts and the audit log."""

import random
import re
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
import requests
from pymongo import MongoClient

from conftest import eventually
from tilts_contracts.clock import utcnow
from tilts_contracts.settings import database_name
from tilts_contracts.tokens import issue_operator_token, issue_token

pytestmark = pytest.mark.integration
TILTS = str(Path(sys.executable).parent / "tilts")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def ask_for_link(stack, email, browser=None) -> tuple[requests.Session, requests.Response]:
    if browser is None:  # a client of its own: the stack trusts one proxy (conftest)
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = f"10.{random.randrange(256)}.{random.randrange(256)}.3"
    form = browser.get(f"{stack.url}/signin?lang=en")
    assert form.status_code == 200
    csrf = CSRF.search(form.text).group(1)
    return browser, browser.post(f"{stack.url}/signin?lang=en", data={"email": email, "csrf": csrf})


def emailed_link(stack, email: str) -> str:
    [msg] = stack.mail.wait_for(email, subject="sign-in link")
    return LINK.search(msg.get_body(("plain",)).get_content()).group(0)


def signed_in(stack, email: str) -> requests.Session:
    browser, _ = ask_for_link(stack, email)
    used = browser.post(emailed_link(stack, email), allow_redirects=False)
    assert used.status_code == 303, used.text
    return browser


def personal_token(stack, browser: requests.Session, name="cli", days=None) -> dict:
    home = browser.get(f"{stack.url}/org?lang=en")  # /console sends staff on: 303
    csrf = CSRF.search(home.text).group(1)
    made = browser.post(
        f"{stack.url}/api/tokens",
        json={"name": name, **({"days": days} if days else {})},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201, made.text
    return made.json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def registry_db(nx_server):
    client = MongoClient(nx_server)
    return client, client[database_name("registry")]


def add_staff(stack, email: str, role: str, *domains: str):
    operator = bearer(issue_operator_token(stack.secret, "admin", stack.url))
    body = {"email": email, "role": role, "domains": list(domains)}
    reply = requests.post(f"{stack.url}/api/staff", json=body, headers=operator)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_a_contact_signs_in_with_the_link_and_lands_on_org(stack, verified_org):
    email = unique("contact")
    org = verified_org(email=email)
    browser, sent = ask_for_link(stack, email)
    assert sent.status_code == 200 and "Check your email" in sent.text
    link = emailed_link(stack, email)
    shown = browser.get(link)  # what a mail scanner does: it signs nobody in
    assert shown.status_code == 200 and "tilts_session" not in browser.cookies
    assert (
        browser.get(f"{stack.url}/org", allow_redirects=False)
        .headers["Location"]
        .startswith("/signin")
    )
    used = browser.post(link, allow_redirects=False)
    assert (used.status_code, used.headers["Location"]) == (303, "/org")
    cookie = used.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    home = browser.get(f"{stack.url}/org?lang=en")
    assert home.status_code == 200 and email in home.text and org["id"] in home.text
    again = requests.post(link)
    assert again.status_code == 409 and "jau ir izmantota" in again.text  # used already
    assert 'href="/signin' in again.text


def test_known_unknown_and_junk_addresses_get_the_same_page(stack, verified_org, nx_server):
    known = unique("known")
    verified_org(email=known)
    client, db = registry_db(nx_server)
    with client:
        links = db.signins.count_documents({})
        answers = [ask_for_link(stack, e)[1] for e in (known, unique("nobody"))]
        assert answers[0].status_code == answers[1].status_code == 200
        assert answers[0].text == answers[1].text
        junk = [ask_for_link(stack, e)[1] for e in ("x" * 10_240, "", "not an address")]
        assert all((j.status_code, j.text) == (200, answers[0].text) for j in junk)
        assert db.signins.count_documents({}) == links + 1  # the known address only


def test_a_form_post_without_its_csrf_token_is_refused(stack, verified_org):
    email = unique("csrf")
    verified_org(email=email)
    refused = requests.post(f"{stack.url}/signin", data={"email": email})
    assert refused.status_code == 403 and "netika pieņemta" in refused.text  # not accepted
    browser = signed_in(stack, email)
    assert browser.post(f"{stack.url}/signout", data={}).status_code == 403
    forged = browser.post(f"{stack.url}/org/tokens", data={"name": "x", "csrf": "0" * 64})
    assert forged.status_code == 403
    no_header = browser.post(f"{stack.url}/api/tokens", json={"name": "x"})
    assert no_header.status_code == 403 and no_header.json()["error"]["code"] == "forbidden"


def test_a_revoked_personal_token_is_refused_within_a_minute(stack, verified_org):
    email = unique("revoke")
    org = verified_org(email=email)
    browser = signed_in(stack, email)
    made = personal_token(stack, browser, "laptop", 90)
    mine = requests.get(f"{stack.url}/api/organisations/{org['id']}", headers=bearer(made["token"]))
    assert mine.status_code == 200
    listed = requests.get(f"{stack.url}/api/tokens", headers=bearer(made["token"])).json()
    assert [t["id"] for t in listed["items"]] == [made["id"]] and "token" not in listed["items"][0]
    gone = requests.delete(f"{stack.url}/api/tokens/{made['id']}", headers=bearer(made["token"]))
    assert gone.status_code == 204
    refused = eventually(
        lambda: requests.get(f"{stack.url}/api/tokens", headers=bearer(made["token"])),
        lambda r: r.status_code == 401,
        timeout=60,
    )
    assert refused.json()["error"]["code"] == "unauthenticated"
    too_long = browser.post(
        f"{stack.url}/api/tokens",
        json={"name": "forever", "days": 91},
        headers={"X-CSRF-Token": CSRF.search(browser.get(f"{stack.url}/org").text).group(1)},
    )
    assert too_long.status_code == 400 and "days" in too_long.json()["error"]["details"]


def test_a_suspended_organisations_token_is_refused(stack, verified_org, client):
    email = unique("suspend")
    org = verified_org(email=email)
    made = personal_token(stack, signed_in(stack, email))
    assert requests.get(f"{stack.url}/api/tokens", headers=bearer(made["token"])).ok
    client().post(f"{stack.url}/api/organisations/{org['id']}/suspend", json={}).raise_for_status()
    refused = eventually(
        lambda: requests.get(f"{stack.url}/api/tokens", headers=bearer(made["token"])),
        lambda r: r.status_code == 401,
        timeout=60,
    )
    assert refused.status_code == 401


def test_a_token_of_another_audience_or_server_is_refused_in_the_error_shape(stack):
    now = utcnow()
    claims = {
        "sub": "staff:x",
        "kind": "personal",
        "role": "admin",
        "jti": "tok_x",
        "iss": stack.url,
        "aud": "tilts-api",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    for wrong in ({"aud": "another-api"}, {"iss": "https://elsewhere.example"}):
        token = jwt.encode({**claims, **wrong}, stack.secret, algorithm="HS256")
        reply = requests.get(f"{stack.url}/api/needs", headers=bearer(token))
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "unauthenticated"
    unknown = jwt.encode(claims, stack.secret, algorithm="HS256")  # no such token: no record
    assert requests.get(f"{stack.url}/api/needs", headers=bearer(unknown)).status_code == 401


def test_staff_sign_in_to_the_console_and_the_cli_needs_no_auth_secret(stack, tmp_path):
    email = unique("lead")
    env = {
        "PATH": "/usr/bin:/bin",
        "PUBLIC_URL": stack.url,
        "XDG_CONFIG_HOME": str(tmp_path),
        "HOME": str(tmp_path),
    }
    added = subprocess.run(
        [TILTS, "staff", "add", email, "--role", "coordinator", "--domain", "social"],
        env={**env, "AUTH_SECRET": stack.secret},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    browser, _ = ask_for_link(stack, email)
    used = browser.post(emailed_link(stack, email), allow_redirects=False)
    assert used.headers["Location"] == "/console"
    home = browser.get(f"{stack.url}/console?lang=en")
    csrf = CSRF.search(home.text).group(1)
    unnamed = browser.post(
        f"{stack.url}/console/tokens?lang=en", data={"name": " ", "days": "7", "csrf": csrf}
    )
    assert unnamed.status_code == 400 and "Give it a name" in unnamed.text
    assert 'value="7"' in unnamed.text  # what was typed stays
    made = browser.post(f"{stack.url}/console/tokens?lang=en", data={"name": "cli", "csrf": csrf})
    token = re.search(r"readonly[^>]*>([^<]+)</textarea>", made.text).group(1).strip()
    login = subprocess.run(
        [TILTS, "login"],
        input=token + "\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert login.returncode == 0, login.stderr
    stored = tmp_path / "tilts" / "token"
    assert stored.stat().st_mode & 0o777 == 0o600
    export = subprocess.run(
        [TILTS, "export", "--format", "csv"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert export.returncode == 0, export.stderr  # a coordinator's work, no AUTH_SECRET
    refused = subprocess.run(
        [TILTS, "staff", "add", unique("other"), "--role", "admin"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "403" in refused.stderr  # staff are an admin's


def test_the_audit_log_shows_who_verified_and_who_posted_a_need(stack, tmp_path):
    admin, lead = unique("admin"), unique("poster")
    add_staff(stack, admin, "admin")
    add_staff(stack, lead, "coordinator")
    admin_token = personal_token_of_staff(stack, admin)
    lead_token = personal_token_of_staff(stack, lead)
    body = {"name": f"Audita biedrība {uuid.uuid4().hex[:6]}", "email": unique("audited")}
    org = requests.post(f"{stack.url}/api/organisations", json=body, headers=bearer(lead_token))
    org.raise_for_status()
    org_id = org.json()["id"]
    requests.post(
        f"{stack.url}/api/organisations/{org_id}/verify", headers=bearer(admin_token)
    ).raise_for_status()
    need = requests.post(
        f"{stack.url}/api/needs",
        json={
            "domain": "social",
            "title": "Audita vajadzība",
            "region": "riga",
            "quantity": 1,
            "languages": ["zu"],  # it waits: no other test's offer is taken by it
        },
        headers=bearer(lead_token),
    )
    need.raise_for_status()
    who = {
        s["email"]: s["account"]
        for s in requests.get(f"{stack.url}/api/staff", headers=bearer(admin_token)).json()["items"]
    }

    def trail(object_id):
        reply = requests.get(
            f"{stack.url}/api/audit", params={"object_id": object_id}, headers=bearer(admin_token)
        )
        assert reply.status_code == 200, reply.text
        return [(e["by"], e["action"]) for e in reply.json()["items"]]

    assert (who[admin], "verified") in trail(org_id)
    assert (who[lead], "registered") in trail(org_id)
    assert trail(need.json()["id"]) == [(who[lead], "need_posted")]
    refused = requests.get(f"{stack.url}/api/audit", headers=bearer(lead_token))
    assert refused.status_code == 403


def personal_token_of_staff(stack, email: str) -> str:
    browser = signed_in(stack, email)
    home = browser.get(f"{stack.url}/console?lang=en")
    made = browser.post(
        f"{stack.url}/api/tokens",
        json={"name": "test"},
        headers={"X-CSRF-Token": CSRF.search(home.text).group(1)},
    )
    assert made.status_code == 201, made.text
    return made.json()["token"]


def test_the_operators_token_is_capped_and_old_tokens_still_read(stack):
    capped = subprocess.run(
        [TILTS, "token", "admin", "--days", "31"],
        env={"PATH": "/usr/bin:/bin", "PUBLIC_URL": stack.url, "AUTH_SECRET": stack.secret},
        capture_output=True,
        text=True,
    )
    assert capped.returncode != 0
    legacy = bearer(issue_token(stack.secret, "coordinator"))
    assert requests.get(f"{stack.url}/api/needs", headers=legacy).status_code == 200
