"""An organisation's own pages (/org) over the whole stack: its offers (add, change,
pause, resume), the requests sent to it (accept, decline with a reason, mark fulfilled),
its profile under review, and erasing it. Each test speaks a language no other test's
offers speak, so matching in the shared stack keeps them apart."""

import random
import re
import uuid
from datetime import date, timedelta

import pytest
import requests

from conftest import eventually

pytestmark = pytest.mark.integration
OFFER_ID = re.compile(r'id="offer-(off_[0-9a-f]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def signed_in(stack, email: str) -> requests.Session:
    """A browser signed in from the emailed link, as test_identity signs in."""
    browser = requests.Session()
    # a client of its own (the stack trusts one proxy): no other test's sign-in limit
    browser.headers["X-Forwarded-For"] = f"10.{random.randrange(256)}.{random.randrange(256)}.4"
    csrf = CSRF.search(browser.get(f"{stack.url}/signin?lang=en").text).group(1)
    browser.post(f"{stack.url}/signin?lang=en", data={"email": email, "csrf": csrf})
    [msg] = stack.mail.wait_for(email, subject="sign-in link")
    link = LINK.search(msg.get_body(("plain",)).get_content()).group(0)
    used = browser.post(link, allow_redirects=False)
    assert used.status_code == 303, used.text
    return browser


def csrf_of(browser, url: str) -> str:
    page = browser.get(url)
    assert page.status_code == 200, page.text[:500]
    return CSRF.search(page.text).group(1)


def contact_of(stack, verified_org, **fields) -> tuple[dict, requests.Session]:
    email = unique("org-pages")
    org = verified_org(email=email, **fields)
    return org, signed_in(stack, email)


def add_offer(stack, browser, title: str, language: str, capacity: int = 2) -> str:
    """Add an offer through the form; its id, as the offers page shows it."""
    csrf = csrf_of(browser, f"{stack.url}/org/offers?lang=en")
    nonce = uuid.uuid4().hex
    form = {
        "csrf": csrf,
        "nonce": nonce,
        "domain": "social",
        "title": title,
        "capacity": str(capacity),
        "unit": "consultations",
        "regions": ["riga"],
        "languages": [language],
        "public": "yes",
    }
    added = browser.post(f"{stack.url}/org/offers?lang=en", data=form)
    assert added.status_code == 200 and title in added.text, added.text[-2000:]
    again = browser.post(f"{stack.url}/org/offers?lang=en", data=form)  # a second click
    assert len(OFFER_ID.findall(again.text)) == 1
    return OFFER_ID.search(again.text).group(1)


def post_need(stack, client, language: str, quantity: int = 1, **extra) -> dict:
    body = {
        "domain": "social",
        "title": "Konsultācija ģimenei",
        "region": "riga",
        "languages": [language],
        "quantity": quantity,
        **extra,
    }
    reply = client().post(f"{stack.url}/api/needs", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def need_now(stack, client, need: dict, check) -> dict:
    return eventually(lambda: client().get(f"{stack.url}/api/needs/{need['id']}").json(), check)


def act(stack, browser, path: str, **form) -> requests.Response:
    csrf = csrf_of(browser, f"{stack.url}/org?lang=en")
    return browser.post(f"{stack.url}{path}?lang=en", data={"csrf": csrf, **form})


def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(stack, verified_org):
    org, browser = contact_of(stack, verified_org)
    form = {"domain": "social", "title": "Bez žetona", "capacity": "1", "regions": "riga"}
    refused = browser.post(f"{stack.url}/org/offers?lang=en", data=form)
    assert refused.status_code == 403 and "not accepted" in refused.text
    offers = browser.get(f"{stack.url}/org/offers?lang=en")
    assert "Bez žetona" not in offers.text
    assert (
        browser.post(f"{stack.url}/org/data/erase", data={"confirm": org["name"]}).status_code
        == 403
    )


def test_another_organisations_offer_and_request_are_not_found(stack, client, verified_org):
    _, browser = contact_of(stack, verified_org)
    other = verified_org(languages=["kl"])
    # one day of its own: another test's need waiting in social/riga without a language
    # would otherwise take this offer's one place before this test's need is posted
    day = (date(2090, 1, 1) + timedelta(days=random.randrange(3650))).isoformat()
    theirs = (
        client("organisation", other["id"])
        .post(
            f"{stack.url}/api/offers",
            json={
                "domain": "social",
                "title": "Svešs",
                "capacity": 1,
                "regions": ["riga"],
                "languages": ["kl"],
                "available_from": day,
                "available_until": day,
            },
        )
        .json()
    )
    assert browser.get(f"{stack.url}/org/offers/{theirs['id']}?lang=en").status_code == 404
    for action in ("pause", "withdraw"):
        refused = act(stack, browser, f"/org/offers/{theirs['id']}/{action}")
        assert refused.status_code == 404
    need = post_need(stack, client, "kl", needed_by=day)
    need = need_now(stack, client, need, lambda n: n["matches"])
    match_id = need["matches"][0]["id"]
    assert act(stack, browser, f"/org/requests/{match_id}/accept").status_code == 404
    assert client().get(f"{stack.url}/api/offers/{theirs['id']}").json()["status"] in (
        "active",
        "exhausted",  # the need took it: not paused, not withdrawn
    )
    mine = browser.get(f"{stack.url}/org/requests?lang=en")
    assert match_id not in mine.text and "Svešs" not in mine.text


def test_a_paused_offer_is_off_the_wall_and_proposed_nothing_until_resumed(
    stack, client, verified_org
):
    _, browser = contact_of(stack, verified_org)
    title = f"Konsultācijas {uuid.uuid4().hex[:6]}"
    offer_id = add_offer(stack, browser, title, "iu")
    assert title in requests.get(f"{stack.url}/wall?lang=en").text
    paused = act(stack, browser, f"/org/offers/{offer_id}/pause")
    assert paused.status_code == 200 and "paused" in paused.text
    again = act(stack, browser, f"/org/offers/{offer_id}/pause")  # a second click
    assert again.status_code == 200 and "paused" in again.text
    wall = eventually(
        lambda: requests.get(f"{stack.url}/wall?lang=en").text, lambda text: title not in text
    )
    assert title not in wall
    need = post_need(stack, client, "iu")
    # nothing else speaks the language: with the offer paused the need is a gap
    need = need_now(stack, client, need, lambda n: n["status"] == "unmatched")
    assert need["status"] == "unmatched" and need["matches"] == []
    resumed = act(stack, browser, f"/org/offers/{offer_id}/resume")
    assert resumed.status_code == 200 and "Pause" in resumed.text
    need = need_now(stack, client, need, lambda n: n["matches"])
    assert [m["offer_id"] for m in need["matches"]] == [offer_id]
    assert title in requests.get(f"{stack.url}/wall?lang=en").text


def test_a_request_accepted_and_fulfilled_on_org_shows_in_the_commitments(
    stack, client, verified_org
):
    _, browser = contact_of(stack, verified_org)
    title = f"Juristu stundas {uuid.uuid4().hex[:6]}"
    offer_id = add_offer(stack, browser, title, "oj", capacity=5)
    need = post_need(stack, client, "oj", quantity=3)
    need = need_now(stack, client, need, lambda n: n["matches"])
    match_id = need["matches"][0]["id"]
    page = browser.get(f"{stack.url}/org/requests?lang=en")
    assert f"request-{match_id}" in page.text and "Konsultācija ģimenei" in page.text
    for _ in range(2):  # a second click is told the request is accepted, not refused
        accepted = act(stack, browser, f"/org/requests/{match_id}/accept")
        assert accepted.status_code == 200 and "Request accepted" in accepted.text
    assert (
        client()
        .get(f"{stack.url}/api/matches", params={"need_id": need["id"]})
        .json()["items"][0]["status"]
        == "accepted"
    )
    too_many = act(stack, browser, f"/org/requests/{match_id}/fulfil", quantity="9")
    assert too_many.status_code == 400 and 'id="quantity-' + match_id + '-error"' in too_many.text
    assert 'value="9"' in too_many.text  # what was typed stays
    done = act(stack, browser, f"/org/requests/{match_id}/fulfil", quantity="2")
    assert done.status_code == 200 and "Marked fulfilled" in done.text
    [match] = (
        client().get(f"{stack.url}/api/matches", params={"need_id": need["id"]}).json()["items"]
    )
    assert (match["status"], match["delivered"]) == ("fulfilled", 2)
    rows = eventually(
        lambda: [
            r
            for r in requests.get(f"{stack.url}/commitments?format=json&lang=en").json()[
                "commitments"
            ]
            if r["offer"] == title
        ],
        lambda found: found and found[0]["fulfilled"] == 2,
    )
    assert rows[0]["fulfilled"] == 2
    again = act(stack, browser, f"/org/requests/{match_id}/accept")  # a second answer
    assert again.status_code == 409 and "cannot be done" in again.text
    assert offer_id in browser.get(f"{stack.url}/org/offers?lang=en").text


def test_a_decline_says_why_and_a_note_with_a_phone_number_is_refused(stack, client, verified_org):
    _, browser = contact_of(stack, verified_org)
    add_offer(stack, browser, "Tulkošana", "cr")
    need = need_now(stack, client, post_need(stack, client, "cr"), lambda n: n["matches"])
    match_id = need["matches"][0]["id"]
    path = f"/org/requests/{match_id}/decline"
    refused = act(stack, browser, path, reason="no_capacity", note="zvaniet 29123456")
    assert refused.status_code == 400 and f'id="note-{match_id}-error"' in refused.text
    assert "zvaniet 29123456" in refused.text  # kept, to be corrected
    declined = act(stack, browser, path, reason="no_capacity", note="Pilns līdz decembrim")
    assert declined.status_code == 200 and "Request declined" in declined.text
    [match] = (
        client().get(f"{stack.url}/api/matches", params={"need_id": need["id"]}).json()["items"]
    )
    assert (match["status"], match["decline_reason"]) == ("declined", "no_capacity")


def test_a_verified_name_change_waits_for_review_while_the_public_sees_the_old(
    stack, client, verified_org
):
    org, browser = contact_of(stack, verified_org)
    csrf = csrf_of(browser, f"{stack.url}/org/profile?lang=en")
    form = {
        "csrf": csrf,
        "name": org["name"] + " Rīga",
        "email": org["email"],
        "phone": "+371 67000000",
        "website": "",
        "description": "Konsultācijas",
        "domains": ["social"],
        "regions": ["riga"],
        "languages": ["lv"],
        "preferred_language": "en",
    }
    saved = browser.post(f"{stack.url}/org/profile?lang=en", data=form)
    assert saved.status_code == 200 and "Waiting for a coordinator" in saved.text
    held = client().get(f"{stack.url}/api/organisations/{org['id']}").json()
    assert held["name"] == org["name"] and held["phone"] == "+371 67000000"
    assert held["pending_changes"] == {"name": org["name"] + " Rīga"}
    verified = client().post(f"{stack.url}/api/organisations/{org['id']}/verify").json()
    assert verified["name"] == org["name"] + " Rīga" and verified["pending_changes"] == {}
    bad = browser.post(f"{stack.url}/org/profile?lang=en", data={**form, "email": "not an address"})
    assert bad.status_code == 400 and 'id="email-error"' in bad.text
    assert "not an address" in bad.text and "+371 67000000" in bad.text


def test_erasing_needs_the_typed_name_and_signs_everyone_out(stack, client, verified_org):
    org, browser = contact_of(stack, verified_org)
    colleague = unique("colleague")
    added = act(stack, browser, "/org/contacts", contact=colleague)
    assert added.status_code == 200 and colleague in added.text
    other = signed_in(stack, colleague)  # a second contact, with its own session
    assert other.get(f"{stack.url}/org?lang=en").status_code == 200
    wrong = act(stack, browser, "/org/data/erase", confirm="Cits nosaukums")
    assert wrong.status_code == 400 and 'id="confirm-error"' in wrong.text
    assert client().get(f"{stack.url}/api/organisations/{org['id']}").json()["name"] == org["name"]
    export = browser.get(f"{stack.url}/org/data/export")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    assert export.json()["organisation"]["email"] == org["email"]
    erased = act(stack, browser, "/org/data/erase", confirm=f"  {org['name'].upper()} ")
    assert erased.status_code == 200 and "Organisation erased" in erased.text
    gone = browser.get(f"{stack.url}/org", allow_redirects=False)
    assert gone.status_code == 303 and gone.headers["Location"].startswith("/signin")
    # the colleague's session ended in the registry (the gateway forgets it within
    # ACCESS_CACHE_SECONDS: 2 s in the tests)
    theirs = eventually(
        lambda: other.get(f"{stack.url}/org", allow_redirects=False).status_code,
        lambda status: status == 303,
        timeout=45,
    )
    assert theirs == 303
    held = client().get(f"{stack.url}/api/organisations/{org['id']}").json()
    assert held["name"] == "Anonymous organisation" and held["email"] is None


def test_requests_come_as_a_daily_digest_once_chosen_and_tokens_have_their_section(
    stack, client, verified_org
):
    org, browser = contact_of(stack, verified_org)
    settings = browser.get(f"{stack.url}/org/settings?lang=en")
    assert settings.status_code == 200 and "One daily digest" in settings.text
    saved = act(stack, browser, "/org/settings", delivery="digest")
    assert saved.status_code == 200 and "Saved." in saved.text
    prefs = client().get(f"{stack.url}/api/organisations/{org['id']}/notification-preferences")
    assert prefs.json()["delivery"] == "digest"
    assert 'value="digest" checked' in saved.text
    junk = act(stack, browser, "/org/settings", delivery="hourly")
    assert junk.status_code == 400 and 'id="delivery-error"' in junk.text
    tokens = browser.get(f"{stack.url}/org/tokens?lang=en")
    assert tokens.status_code == 200 and 'aria-current="page">API tokens' in tokens.text


def test_an_address_of_another_organisation_is_not_added_as_a_contact(stack, verified_org):
    _, browser = contact_of(stack, verified_org)
    other = verified_org()
    refused = act(stack, browser, "/org/contacts", contact=other["email"].upper())
    assert refused.status_code == 409, refused.text[-1500:]
    assert 'aria-describedby="contact-error"' in refused.text
    assert "signs in for another organisation" in refused.text
    assert other["id"] not in refused.text
    mine = browser.get(f"{stack.url}/org/contacts?lang=en")
    assert "No further contacts yet." in mine.text


def test_a_field_that_is_not_utf8_is_named_and_nothing_is_stored(stack, verified_org):
    _, browser = contact_of(stack, verified_org)
    csrf = csrf_of(browser, f"{stack.url}/org/offers?lang=en")
    body = f"csrf={csrf}&domain=social&title=Zupa%FF%FE&capacity=1&regions=riga&nonce=n1"
    sent = browser.post(
        f"{stack.url}/org/offers?lang=en",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert sent.status_code == 400 and "not UTF-8 text: title" in sent.text
    assert "Zupa" not in browser.get(f"{stack.url}/org/offers?lang=en").text


def test_a_contact_added_twice_by_a_second_click_is_listed_once(stack, verified_org):
    _, browser = contact_of(stack, verified_org)
    address = unique("kolega")
    for _ in range(2):
        added = act(stack, browser, "/org/contacts", contact=address)
        assert added.status_code == 200 and "contact-error" not in added.text, added.text[-900:]
    assert (
        browser.get(f"{stack.url}/org/contacts?lang=en").text.count(f'<li class="card">{address}')
        == 1
    )


def test_another_organisations_token_is_not_revoked_and_the_refusal_is_a_page(stack, verified_org):
    _, browser = contact_of(stack, verified_org)
    _, theirs = contact_of(stack, verified_org)
    made = act(stack, theirs, "/org/tokens", name="viņu skripts", days="30")
    assert made.status_code == 200, made.text[-1500:]
    token_id = re.search(r"/org/tokens/([^/]+)/revoke", made.text).group(1)
    refused = act(stack, browser, f"/org/tokens/{token_id}/revoke")
    assert refused.status_code == 404 and refused.headers["Content-Type"].startswith("text/html")
    assert token_id in theirs.get(f"{stack.url}/org/tokens?lang=en").text


def test_the_offer_form_sent_again_with_other_words_adds_that_offer_too(stack, verified_org):
    # going back after adding one, and changing it, must not end in a "saved" that saved nothing
    _, browser = contact_of(stack, verified_org)
    form = {"nonce": uuid.uuid4().hex, "domain": "social", "capacity": "1", "regions": "riga"}
    for title in ("Zupas virtuve", "Maizes cepšana"):
        sent = act(stack, browser, "/org/offers", title=title, unit="porcijas", **form)
        assert sent.status_code == 200 and title in sent.text
    shown = browser.get(f"{stack.url}/org/offers?lang=en").text
    assert "Zupas virtuve" in shown and "Maizes cepšana" in shown


def test_a_capacity_raised_on_org_shows_on_the_wall_and_serves_a_bigger_need(
    stack, client, verified_org
):
    _, browser = contact_of(stack, verified_org)
    title = f"Tulkojumi {uuid.uuid4().hex[:6]}"
    offer_id = add_offer(stack, browser, title, "ug", capacity=1)
    saved = act(stack, browser, f"/org/offers/{offer_id}", capacity="4", regions=["riga"])
    assert saved.status_code == 200 and "4 of 4 free" in saved.text, saved.text[-1500:]
    wall = eventually(
        lambda: requests.get(f"{stack.url}/wall?lang=en&region=riga").text,
        lambda text: re.search(rf"<h3>{title}</h3>(?:(?!</li>).)*/ 4 consultations", text, re.S),
    )
    assert re.search(rf"<h3>{title}</h3>(?:(?!</li>).)*/ 4 consultations", wall, re.S)
    # matching sees four: a need for three is asked of this offer alone, all three
    need = need_now(
        stack, client, post_need(stack, client, "ug", quantity=3), lambda n: n["matches"]
    )
    assert [(m["offer_id"], m["quantity"]) for m in need["matches"]] == [(offer_id, 3)]


def test_an_offer_withdrawn_on_org_leaves_the_wall(stack, verified_org):
    _, browser = contact_of(stack, verified_org)
    title = f"Velosipēdi {uuid.uuid4().hex[:6]}"
    offer_id = add_offer(stack, browser, title, "ho")
    withdrawn = act(stack, browser, f"/org/offers/{offer_id}/withdraw")
    assert withdrawn.status_code == 200 and "withdrawn" in withdrawn.text
    again = act(stack, browser, f"/org/offers/{offer_id}/withdraw")  # a second click
    assert again.status_code == 200
    wall = eventually(
        lambda: requests.get(f"{stack.url}/wall?lang=en").text, lambda text: title not in text
    )
    assert title not in wall


def test_five_contacts_at_most_and_a_removed_one_is_gone(stack, verified_org):
    _, browser = contact_of(stack, verified_org)
    addresses = [unique(f"kolega{n}") for n in range(6)]
    for address in addresses[:5]:
        assert act(stack, browser, "/org/contacts", contact=address).status_code == 200
    full = act(stack, browser, "/org/contacts", contact=addresses[5])
    assert full.status_code == 400 and "There are 5 contacts already" in full.text
    assert f'value="{addresses[5]}"' in full.text  # what was typed stays
    removed = act(stack, browser, "/org/contacts/remove", contact=addresses[0])
    assert removed.status_code == 200
    page = browser.get(f"{stack.url}/org/contacts?lang=en").text
    assert addresses[0] not in page and all(a in page for a in addresses[1:5])
    assert act(stack, browser, "/org/contacts", contact=addresses[5]).status_code == 200
