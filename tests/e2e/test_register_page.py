"""The /register page over the whole stack (real RabbitMQ, NX-27017 and SMTP): a mistake
beside its field with everything kept, the received email, CSRF, the honeypot, a name
registered already (a sign-in link to its own address, never shown) and the limit."""

import re
import uuid
from urllib.parse import urlencode

import pytest
import requests

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HIDDEN = re.compile(r'name="(form_id|form_sig|attempt|attempt_sig)" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def opened(stack, lang="en") -> tuple[requests.Session, dict]:
    """A browser with the form open: its cookie, and the form's hidden fields."""
    browser = requests.Session()
    form = browser.get(f"{stack.url}/register?lang={lang}")
    assert form.status_code == 200 and 'name="offers-0-title"' in form.text
    return browser, {"csrf": CSRF.search(form.text).group(1), **dict(HIDDEN.findall(form.text))}


def questionnaire(name: str, email: str, **offer) -> list[tuple[str, str]]:
    fields = {
        "action": "send",
        "name": name,
        "kind": "ngo",
        "email": email,
        "description": "Juridiskā palīdzība patvēruma meklētājiem Rīgā.",
        "preferred_language": "en",
        "offers-0-domain": "legal",
        "offers-0-title": "Konsultācijas par statusu",
        "offers-0-capacity": "3",
        "offers-0-unit": "consultations",
        "offers-0-renews": "weekly",
        **{f"offers-0-{k}": v for k, v in offer.items()},
    }
    return [*fields.items(), ("domains", "legal"), ("offers-0-regions", "riga")]


def registered(stack, client, name: str) -> list:
    reply = client().get(f"{stack.url}/api/organisations", params={"q": name})
    assert reply.status_code == 200, reply.text
    return reply.json()["items"]


def test_a_mistake_is_shown_beside_its_field_and_nothing_typed_is_lost(stack, client):
    name, email = unique("Biedrība Kļūda"), f"{unique('kluda')}@example.org"
    browser, hidden = opened(stack)
    body = questionnaire(name, email, description="Zvaniet +371 29 123 456", capacity="0")
    reply = browser.post(f"{stack.url}/register?lang=en", data=[*hidden.items(), *body])
    assert reply.status_code == 400, reply.text[-2000:]
    beside = re.search(r'id="offers-0-description-error">([^<]+)<', reply.text).group(1)
    assert beside.startswith("This looks like a phone number.")
    assert 'id="offers-0-capacity-error">A whole number from 1 to 1 000 000.' in reply.text
    assert 'aria-describedby="offers-0-capacity-error"' in reply.text
    for typed in (f'value="{name}"', f'value="{email}"', "Zvaniet +371 29 123 456</textarea>"):
        assert typed in reply.text
    assert 'value="weekly" selected' in reply.text and 'value="riga" checked' in reply.text
    assert registered(stack, client, name) == []


def test_a_registration_is_received_and_the_address_given_is_emailed(stack, client):
    name, email = unique("Biedrība Tilts"), f"{unique('jauna')}@example.org"
    browser, hidden = opened(stack)
    reply = browser.post(
        f"{stack.url}/register?lang=en", data=[*hidden.items(), *questionnaire(name, email)]
    )
    assert reply.status_code == 200 and "What happens next" in reply.text
    assert "A coordinator will check" in reply.text
    [msg] = stack.mail.wait_for(email, subject="We received your registration")
    assert name not in msg["Subject"]  # nothing the form took is in a subject line
    [org] = registered(stack, client, name)
    assert org["status"] == "pending" and org["email"] == email
    detail = client().get(f"{stack.url}/api/organisations/{org['id']}").json()
    [offer] = detail["held_offers"]
    assert (offer["capacity"], offer["renews"], offer["regions"]) == (3, "weekly", ["riga"])
    again = browser.post(
        f"{stack.url}/register?lang=en", data=[*hidden.items(), *questionnaire(name, email)]
    )
    assert again.status_code == 200  # a second click: the same registration, not a duplicate
    assert len(registered(stack, client, name)) == 1


def test_a_post_without_its_csrf_token_is_refused(stack, client):
    name = unique("Biedrība Viltus")
    browser, hidden = opened(stack)
    body = [*questionnaire(name, f"{unique('v')}@example.org"), ("form_id", hidden["form_id"])]
    assert requests.post(f"{stack.url}/register", data=body).status_code == 403
    assert (
        browser.post(f"{stack.url}/register", data=[("csrf", "0" * 32), *body]).status_code == 403
    )
    assert registered(stack, client, name) == []


def test_a_name_that_is_not_utf8_is_named_and_nothing_is_stored(stack, client):
    name = unique("Biedrība Baiti")
    browser, hidden = opened(stack)
    typed = urlencode([*hidden.items(), *questionnaire(name, f"{unique('b')}@example.org")])
    body = typed.replace(urlencode({"name": name}), urlencode({"name": name}) + "%FF")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = browser.post(f"{stack.url}/register?lang=en", data=body.encode(), headers=form)
    assert reply.status_code == 400 and "not UTF-8 text: name" in reply.text
    assert registered(stack, client, name) == []


def test_a_bot_filling_the_hidden_field_is_thanked_and_nothing_is_stored(stack, client):
    name, email = unique("Biedrība Robots"), f"{unique('robots')}@example.org"
    browser, hidden = opened(stack)
    body = [*hidden.items(), *questionnaire(name, email), ("homepage", "http://spam.example")]
    reply = browser.post(f"{stack.url}/register?lang=en", data=body)
    assert reply.status_code == 200 and "What happens next" in reply.text
    assert registered(stack, client, name) == []
    assert stack.mail.messages(email) == []


def test_a_name_registered_already_offers_a_link_to_its_own_address_only(
    stack, client, verified_org
):
    owner = f"{unique('ipasnieks')}@example.org"
    org = verified_org(name=unique("Biedrība Esošā"), email=owner)
    browser, hidden = opened(stack)
    body = questionnaire(org["name"].upper(), f"{unique('cits')}@example.org")
    reply = browser.post(f"{stack.url}/register?lang=en", data=[*hidden.items(), *body])
    assert reply.status_code == 409 and "registered with Tilts already" in reply.text
    assert owner not in reply.text and owner.split("@")[0] not in reply.text
    assert org["name"].upper() in reply.text  # what was typed stays, to change it
    asked = dict(HIDDEN.findall(reply.text))
    form = {
        "csrf": hidden["csrf"],
        "attempt": asked["attempt"],
        "attempt_sig": asked["attempt_sig"],
    }
    sent = browser.post(f"{stack.url}/register/signin?lang=en", data=form)
    assert sent.status_code == 200 and owner not in sent.text
    [msg] = stack.mail.wait_for(owner, subject="sign-in link")
    link = LINK.search(msg.get_body(("plain",)).get_content()).group(0)
    used = browser.post(link, allow_redirects=False)
    assert (used.status_code, used.headers["Location"]) == (303, "/org")
    assert browser.get(f"{stack.url}/org?lang=en").text.count(org["id"]) >= 1


def test_the_form_is_limited_per_client_in_the_database(own_stack):
    running = own_stack()
    browser, hidden = opened(running)
    body = [*hidden.items(), *questionnaire("", "")]  # refused at once: cheap to repeat
    answers = [browser.post(f"{running.url}/register?lang=en", data=body) for _ in range(21)]
    assert [a.status_code for a in answers] == [400] * 20 + [429]
    assert "Too many registrations" in answers[20].text
    assert answers[20].headers["Retry-After"] == "3600"
