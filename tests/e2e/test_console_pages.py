"""The console over the whole stack, as a browser without JavaScript sees it: signed in
with the emailed link, forms with their CSRF token, the privacy guard's refusal beside
its field, proposals with their reasons in words, cancel twice, a working-group lead held
to its groups, registrations reviewed, the outbox, the audit log and staff."""

import html
import random
import re
import uuid

import pytest
import requests

from tilts_contracts.tokens import issue_operator_token

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")
# a region and language no other test's offers cover: nothing here takes their capacity
REGION, LANGUAGE = "kurzeme", "ps"


def a_client() -> dict:
    """A client address of its own (as the stack's trusted proxy tells it), so these
    sign-ins count against no other test's hourly limit."""
    return {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.7"}


def staff_browser(stack, role="coordinator", *domains) -> requests.Session:
    """A new staff member, signed in as a person is: the emailed link, then the session."""
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.org"
    operator = {"Authorization": f"Bearer {issue_operator_token(stack.secret, 'admin', stack.url)}"}
    body = {"email": email, "role": role, "domains": list(domains)}
    assert requests.post(f"{stack.url}/api/staff", json=body, headers=operator).status_code == 201
    browser = requests.Session()
    browser.headers.update(a_client())
    form = browser.get(f"{stack.url}/signin?lang=en")
    csrf = CSRF.search(form.text).group(1)
    browser.post(f"{stack.url}/signin?lang=en", data={"email": email, "csrf": csrf})
    [msg] = stack.mail.wait_for(email, subject="sign-in link")
    link = LINK.search(msg.get_body(("plain",)).get_content()).group(0)
    used = browser.post(link, allow_redirects=False)
    assert (used.status_code, used.headers["Location"]) == (303, "/console")
    return browser


def form_of(browser, url) -> dict:
    page = browser.get(url)
    assert page.status_code == 200, page.text
    found = {"csrf": CSRF.search(page.text).group(1)}
    if FORM_ID.search(page.text):
        found["form_id"] = FORM_ID.search(page.text).group(1)
    return found


def need_form(**fields) -> dict:
    return {"title": "Ģimenes ārsts bērnam", "domain": "health", "region": REGION,
            "languages": [LANGUAGE], "quantity": "1", "urgency": "high", "needed_by": "",
            "description": "", "case_ref": "KUR-1", **fields}  # fmt: skip


def text(page) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


def test_without_a_session_or_as_an_organisation_the_console_sends_you_on(stack):
    paths = ("/console", "/console/needs", "/console/needs/new", "/console/organisations",
             "/console/gaps", "/console/outbox", "/console/audit", "/console/staff")  # fmt: skip
    for path in paths:
        away = requests.get(f"{stack.url}{path}?lang=en", allow_redirects=False)
        assert (away.status_code, away.headers["Location"]) == (303, "/signin?lang=en")
    posted = requests.post(f"{stack.url}/console/needs", data=need_form(), allow_redirects=False)
    assert posted.status_code == 403  # no CSRF token: nothing posted


def test_a_phone_number_is_refused_beside_the_description_with_everything_kept(stack):
    browser = staff_browser(stack)
    url = f"{stack.url}/console/needs/new?lang=lv"
    typed = need_form(description="Mammai zvanīt 29 123 456 pēc 17:00", title="Ārsts Ventspilī")
    refused = browser.post(
        f"{stack.url}/console/needs?lang=lv", data={**typed, **form_of(browser, url)}
    )
    assert refused.status_code == 400
    assert 'aria-describedby="description-error"' in refused.text
    error = re.search(r'id="description-error">([^<]+)<', refused.text).group(1)
    assert "tālruņa numura" in html.unescape(error)  # beside the field, in Latvian
    assert "Mammai zvanīt 29 123 456 pēc 17:00</textarea>" in html.unescape(refused.text)
    assert 'value="Ārsts Ventspilī"' in html.unescape(refused.text)
    assert f'value="{LANGUAGE}" checked' in refused.text

    fixed = {**typed, "description": "Mammai vajag ārstu pēc 17:00"}
    fixed["csrf"] = CSRF.search(refused.text).group(1)
    fixed["form_id"] = FORM_ID.search(refused.text).group(1)
    posted = browser.post(f"{stack.url}/console/needs?lang=lv", data=fixed, allow_redirects=False)
    assert posted.status_code == 303, posted.text
    again = browser.post(f"{stack.url}/console/needs?lang=lv", data=fixed, allow_redirects=False)
    assert again.headers["Location"] == posted.headers["Location"]  # a second click: one need
    page = browser.get(f"{stack.url}{posted.headers['Location']}")
    assert page.status_code == 200 and "Ārsts Ventspilī" in page.text
    assert "Vajadzība ievietota" in page.text
    need_id = posted.headers["Location"].split("/")[3].split("?")[0]
    cancel = form_of(browser, f"{stack.url}/console/needs/{need_id}/cancel?lang=en")
    browser.post(f"{stack.url}/console/needs/{need_id}/cancel?lang=en", data=cancel)


def test_a_posted_need_shows_its_proposal_and_why_and_is_cancelled_once(
    stack, verified_org, client, wait_until
):
    org = verified_org(domains=["health"], regions=[REGION], languages=[LANGUAGE, "lv"])
    offer = {"domain": "health", "title": "Ģimenes ārsta pieņemšana", "capacity": 1,
             "regions": [REGION], "languages": [LANGUAGE]}  # fmt: skip
    made = client("organisation", org["id"]).post(f"{stack.url}/api/offers", json=offer)
    assert made.status_code == 201, made.text
    browser = staff_browser(stack)
    data = {
        **need_form(title="Ārsts bērnam Kuldīgā"),
        **form_of(browser, f"{stack.url}/console/needs/new?lang=en"),
    }
    posted = browser.post(f"{stack.url}/console/needs?lang=en", data=data, allow_redirects=False)
    assert posted.status_code == 303, posted.text
    url = f"{stack.url}{posted.headers['Location'].split('?')[0]}?lang=en"

    page = wait_until(lambda: browser.get(url), lambda p: org["name"] in p.text)
    said = text(page)
    assert "same region (Kurzeme)" in said and "speaks Pashto" in said
    assert "covers all that is needed (1)" in said and "no answers on record yet" in said
    assert "Cancel this need" in said

    confirm = browser.get(url.replace("?lang", "/cancel?lang"))
    assert confirm.status_code == 200 and "Yes, cancel it" in confirm.text
    csrf = CSRF.search(confirm.text).group(1)
    done = browser.post(url.replace("?lang", "/cancel?lang"), data={"csrf": csrf})
    assert done.status_code == 200 and "The need is cancelled." in done.text
    twice = browser.post(url.replace("?lang", "/cancel?lang"), data={"csrf": csrf})
    assert twice.status_code == 200 and "cancelled already: nothing was changed" in text(twice)
    forged = browser.post(url.replace("?lang", "/cancel?lang"), data={"csrf": "0" * 64})
    assert forged.status_code == 403


def test_needs_are_filtered_and_a_bad_filter_is_named_beside_it(stack, client):
    registered(stack, client)  # at least one registration waits: the home page counts it
    browser = staff_browser(stack)
    chosen = {"lang": "en", "status": "open", "region": REGION, "domain": ""}
    home = browser.get(f"{stack.url}/console?lang=en")
    assert "What to do today" in home.text and "You may change needs in every" in home.text
    assert re.search(r"new organisations waiting for review · <strong>\d+\+?</strong>", home.text)
    account = browser.get(f"{stack.url}/console/account?lang=en")
    assert "API tokens" in account.text and 'href="/console?lang=en"' in account.text
    listed = browser.get(f"{stack.url}/console/needs", params=chosen)
    assert listed.status_code == 200 and 'value="open" selected' in listed.text
    bad = browser.get(f"{stack.url}/console/needs", params={"lang": "en", "status": "lost"})
    assert bad.status_code == 400 and 'aria-describedby="status-error"' in bad.text
    cursor = browser.get(f"{stack.url}/console/needs", params={"lang": "en", "cursor": "x"})
    assert cursor.status_code == 400


def test_a_health_lead_cannot_post_or_cancel_in_legal(stack, client):
    lead = staff_browser(stack, "coordinator", "health")
    form = lead.get(f"{stack.url}/console/needs/new?lang=en")
    assert 'value="health"' in form.text and 'value="legal"' not in form.text
    elsewhere = lead.get(f"{stack.url}/console/needs/new?lang=en&domain=legal")
    assert elsewhere.status_code == 403 and "Legal support" in text(elsewhere)

    typed = need_form(domain="legal", title="Jurista konsultācija")
    typed.update(form_of(lead, f"{stack.url}/console/needs/new?lang=en"))
    refused = lead.post(f"{stack.url}/console/needs?lang=en", data=typed)
    assert refused.status_code == 403
    assert 'aria-describedby="domain-error"' in refused.text and "You lead: Health" in text(refused)
    assert 'value="Jurista konsultācija"' in html.unescape(refused.text)

    theirs = client("admin").post(f"{stack.url}/api/needs", json={
        "domain": "legal", "title": "Tulks", "region": REGION, "quantity": 1,
        "languages": [LANGUAGE]}).json()  # fmt: skip
    shown = lead.get(f"{stack.url}/console/needs/{theirs['id']}?lang=en")
    assert shown.status_code == 200 and "Cancel this need" not in shown.text  # reads it
    csrf = CSRF.search(shown.text).group(1)
    cancel = lead.post(
        f"{stack.url}/console/needs/{theirs['id']}/cancel?lang=en", data={"csrf": csrf}
    )
    assert cancel.status_code == 403 and "You lead: Health" in text(cancel)
    client("admin").post(f"{stack.url}/api/needs/{theirs['id']}/cancel").raise_for_status()


def registered(stack, client, **fields) -> dict:
    unique = uuid.uuid4().hex[:8]
    body = {"name": f"Kuldīgas atbalsta biedrība {unique}", "email": f"kab-{unique}@example.org",
            "domains": ["health"], "regions": [REGION], "languages": ["lv"],
            "preferred_language": "en", **fields}  # fmt: skip
    reply = client().post(f"{stack.url}/api/organisations", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_a_registration_is_verified_from_the_console_and_the_organisation_emailed(stack, client):
    org = registered(stack, client)
    browser = staff_browser(stack)
    waiting = browser.get(f"{stack.url}/console/organisations?lang=en&q={org['name'][-8:]}")
    assert waiting.status_code == 200 and "Registrations waiting for review" in waiting.text
    assert org["name"] in html.unescape(waiting.text)
    csrf = CSRF.search(waiting.text).group(1)
    verify = f"{stack.url}/console/organisations/{org['id']}/verify?lang=en"
    done = browser.post(verify, data={"csrf": csrf, "back": "list"})
    assert done.status_code == 200
    assert f"{org['name']} is verified; the organisation has been emailed." in html.unescape(
        done.text
    )
    assert org["name"] not in html.unescape(done.text.split("</h1>")[1].split("verified;")[1])
    [mail] = stack.mail.wait_for(org["email"], subject="Your organisation is verified")
    assert "/org" in mail.get_body(("plain",)).get_content()
    twice = browser.post(verify, data={"csrf": csrf})
    assert twice.status_code == 200 and "Nothing was changed" in twice.text
    assert len(stack.mail.messages(org["email"], subject="verified")) == 1

    page = browser.get(f"{stack.url}/console/organisations/{org['id']}?lang=en")
    said = text(page)
    assert page.status_code == 200 and "History" in said and "verified" in said
    suspend = f"{stack.url}/console/organisations/{org['id']}/suspend?lang=en"
    suspended = browser.post(suspend, data={"csrf": csrf})
    assert suspended.status_code == 200 and "is suspended" in suspended.text
    assert requests.post(suspend, data={"csrf": csrf}).status_code == 403  # no session's token


def test_an_organisations_page_shows_its_offers_and_requests(stack, verified_org, client):
    org = verified_org(domains=["health"], regions=[REGION], languages=[LANGUAGE])
    offer = {"domain": "health", "title": "Zobārsta pieņemšana", "capacity": 2,
             "regions": [REGION], "languages": [LANGUAGE]}  # fmt: skip
    client("organisation", org["id"]).post(f"{stack.url}/api/offers", json=offer).raise_for_status()
    browser = staff_browser(stack)
    page = browser.get(f"{stack.url}/console/organisations/{org['id']}?lang=lv")
    assert page.status_code == 200 and "Zobārsta pieņemšana" in page.text
    assert "Piedāvājumi" in page.text and "Vēsture" in page.text
    missing = browser.get(f"{stack.url}/console/organisations/org_000000000000?lang=en")
    assert missing.status_code == 404
    bad = browser.get(f"{stack.url}/console/organisations?lang=en&status=lost")
    assert bad.status_code == 400 and 'aria-describedby="status-error"' in bad.text


def test_an_organisations_contact_is_sent_to_its_own_pages(stack, verified_org):
    email = f"contact-{uuid.uuid4().hex[:8]}@example.org"
    verified_org(email=email)
    browser = requests.Session()
    browser.headers.update(a_client())
    form = browser.get(f"{stack.url}/signin?lang=en")
    browser.post(f"{stack.url}/signin?lang=en",
                 data={"email": email, "csrf": CSRF.search(form.text).group(1)})  # fmt: skip
    [msg] = stack.mail.wait_for(email, subject="sign-in link")
    browser.post(LINK.search(msg.get_body(("plain",)).get_content()).group(0))
    for path in ("/console", "/console/needs", "/console/organisations"):
        away = browser.get(f"{stack.url}{path}", allow_redirects=False)
        assert (away.status_code, away.headers["Location"]) == (303, "/org"), path


def test_gaps_lead_to_the_needs_waiting_there(stack, client):
    need = client().post(f"{stack.url}/api/needs", json={
        "domain": "children", "title": "Aukle", "region": REGION, "quantity": 3,
        "languages": [LANGUAGE]}).json()  # fmt: skip
    browser = staff_browser(stack)
    gaps = browser.get(f"{stack.url}/console/gaps?lang=en")
    assert gaps.status_code == 200 and "Gaps: where help is missing" in gaps.text
    link = f"/console/needs?lang=en&amp;domain=children&amp;region={REGION}&amp;status="
    assert link in gaps.text
    waiting = [
        browser.get(f"{stack.url}{html.unescape(link)}{status}").text
        for status in ("open", "unmatched")
    ]
    assert any(need["id"] in page for page in waiting)
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel").raise_for_status()


def test_the_outbox_lists_mail_by_status_and_a_double_resend_sends_once(stack):
    browser = staff_browser(stack)
    failed = browser.get(f"{stack.url}/console/outbox?lang=en")
    assert failed.status_code == 200 and 'value="failed" selected' in failed.text
    sent = browser.get(f"{stack.url}/console/outbox?lang=en&status=sent")
    assert sent.status_code == 200 and "Resend" in sent.text
    note_id = re.search(r'action="/console/outbox/([^/]+)/resend', sent.text).group(1)
    csrf = CSRF.search(sent.text).group(1)
    resend = f"{stack.url}/console/outbox/{note_id}/resend?lang=en"
    first = browser.post(resend, data={"csrf": csrf})  # queued, or sent under a minute ago
    assert first.status_code == 200 and "Outbox" in first.text
    second = browser.post(resend, data={"csrf": csrf})  # a double click: nothing more
    assert second.status_code == 200 and "nothing was changed" in text(second)
    odd = browser.get(f"{stack.url}/console/outbox?lang=en&note=statuses")  # no such note
    assert odd.status_code == 200
    bad = browser.get(f"{stack.url}/console/outbox?lang=en&status=lost")
    assert bad.status_code == 400 and 'aria-describedby="status-error"' in bad.text


def test_admins_keep_the_audit_log_and_staff_and_coordinators_may_not(stack):
    coordinator = staff_browser(stack)
    for path in ("/console/audit", "/console/staff"):
        refused = coordinator.get(f"{stack.url}{path}?lang=en")
        assert refused.status_code == 403 and "for admins only" in refused.text
    admin = staff_browser(stack, "admin")
    log = admin.get(f"{stack.url}/console/audit?lang=en")
    assert log.status_code == 200 and "staff_added" in log.text
    bad = admin.get(f"{stack.url}/console/audit?lang=en&since=yesterday")
    assert bad.status_code == 400 and 'aria-describedby="since-error"' in bad.text

    page = admin.get(f"{stack.url}/console/staff?lang=en")
    csrf = CSRF.search(page.text).group(1)
    new = f"lead-{uuid.uuid4().hex[:8]}@example.org"
    typed = {"csrf": csrf, "email": new, "role": "admin", "domains": "health"}
    wrong = admin.post(f"{stack.url}/console/staff?lang=en", data=typed)
    assert wrong.status_code == 400 and 'aria-describedby="domains-error"' in wrong.text
    assert f'value="{new}"' in wrong.text  # typed kept
    added = admin.post(f"{stack.url}/console/staff?lang=en", data={**typed, "role": "coordinator"})
    assert added.status_code == 200 and f"{new} is added" in added.text
    removed = admin.post(
        f"{stack.url}/console/staff/remove?lang=en", data={"csrf": csrf, "email": new}
    )
    assert removed.status_code == 200 and f"{new} is staff no longer" in removed.text
    assert f'name="email" value="{new}"' not in removed.text


def test_a_verified_organisations_new_name_waits_for_the_console(stack, verified_org, client):
    org = verified_org()
    url = f"{stack.url}/api/organisations/{org['id']}"
    renamed = f"Jaunais nosaukums {uuid.uuid4().hex[:6]}"
    client("organisation", org["id"]).patch(url, json={"name": renamed}).raise_for_status()
    browser = staff_browser(stack)
    page = browser.get(f"{stack.url}/console/organisations/{org['id']}?lang=en")
    assert "Changes waiting for review" in page.text and renamed in html.unescape(page.text)
    csrf = CSRF.search(page.text).group(1)
    done = browser.post(f"{stack.url}/console/organisations/{org['id']}/verify?lang=en",
                        data={"csrf": csrf})  # fmt: skip
    assert done.status_code == 200 and "Changes waiting" not in done.text
    assert client().get(url).json()["name"] == renamed


def test_an_open_need_is_edited_with_refusals_beside_their_fields(stack, client):
    need = client().post(f"{stack.url}/api/needs", json={
        "domain": "health", "title": "Zobārsts", "region": REGION, "quantity": 1,
        "languages": [LANGUAGE, "hy"], "case_ref": "ED-1"}).json()  # fmt: skip
    browser = staff_browser(stack)
    url = f"{stack.url}/console/needs/{need['id']}/edit?lang=en"
    form = browser.get(url)
    assert form.status_code == 200 and 'value="Zobārsts"' in html.unescape(form.text)
    assert f'value="{LANGUAGE}" checked' in form.text and 'value="hy"' in form.text  # other
    typed = {"csrf": CSRF.search(form.text).group(1), "title": "Zobārsts bērnam",
             "domain": "health", "region": REGION, "languages": [LANGUAGE], "quantity": "2",
             "urgency": "high", "needed_by": "", "case_ref": "ED-1",
             "description": "Adrese: Lielā iela 5"}  # fmt: skip
    refused = browser.post(url, data=typed)
    assert refused.status_code == 400 and 'aria-describedby="description-error"' in refused.text
    assert "Lielā iela 5</textarea>" in html.unescape(refused.text)
    saved = browser.post(url, data={**typed, "description": "Sāp zobs"})
    assert saved.status_code == 200 and "The changes are saved." in saved.text
    now = client().get(f"{stack.url}/api/needs/{need['id']}").json()
    assert (now["title"], now["quantity"], now["urgency"]) == ("Zobārsts bērnam", 2, "high")

    lead = staff_browser(stack, "coordinator", "legal")
    assert lead.get(url).status_code == 403  # not its group, though it reads the need
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel").raise_for_status()
    closed = browser.get(url)
    assert closed.status_code == 409 and "Only an open need can be edited" in closed.text


def test_a_held_name_change_is_found_and_rejected_with_a_reason_on_the_console(
    stack, client, verified_org
):
    suffix = uuid.uuid4().hex[:8]
    org = verified_org(name=f"Kopienas centrs {suffix}", preferred_language="en")
    asked = client("organisation", org["id"]).patch(
        f"{stack.url}/api/organisations/{org['id']}", json={"name": f"Jauns centrs {suffix}"}
    )
    assert asked.status_code == 200, asked.text
    browser = staff_browser(stack)
    listed = browser.get(
        f"{stack.url}/console/organisations",
        params={"lang": "en", "status": "verified", "pending_changes": "true", "q": suffix},
    )
    assert org["name"] in listed.text and "Changes waiting for review" in listed.text
    page_url = f"{stack.url}/console/organisations/{org['id']}?lang=en"
    reject_url = f"{stack.url}/console/organisations/{org['id']}/changes/reject?lang=en"
    too_long = "Nosaukums neatbilst reģistram. " * 20
    refused = browser.post(reject_url, data={**form_of(browser, page_url), "reason": too_long})
    assert refused.status_code == 400 and 'aria-describedby="reason-error"' in refused.text
    assert too_long.strip() in html.unescape(refused.text)  # what was typed stays

    reason = "Nosaukums neatbilst reģistram"
    done = browser.post(reject_url, data={**form_of(browser, page_url), "reason": reason})
    assert done.status_code == 200 and "are rejected" in done.text, done.text[-1500:]
    assert "Changes waiting for review" not in done.text
    [msg] = stack.mail.wait_for(org["email"], subject="was not accepted")
    assert reason in msg.get_body(("plain",)).get_content()
    shown = client().get(f"{stack.url}/api/organisations/{org['id']}").json()
    assert (shown["name"], shown["pending_changes"]) == (org["name"], {})
    again = browser.post(reject_url, data={**form_of(browser, page_url), "reason": reason})
    assert again.status_code == 200 and "no change of" in html.unescape(again.text)
