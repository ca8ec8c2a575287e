"""The /register page with the registry stood in for: the form read as the
questionnaire, each refusal beside its field in the page's language with everything
typed kept, the honeypot, the limit, and "registered already" without the address."""

import re
from types import SimpleNamespace

import pytest
from nameko.exceptions import UnknownService
from nameko.testing.services import worker_factory
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.service import GatewayService
from gateway.web import pages, register_form
from gateway.web.lastgood import LastGood
from tilts_contracts.errors import Invalid

KEY = "unit-test-link-key-not-for-use-anywhere"
BROWSER = "b" * 32  # the browser's tilts_csrf cookie, sent again in the form
FORM = {
    "csrf": BROWSER,
    "action": "send",
    "blocks": "2",
    "name": "Palīdzīgās rokas",
    "kind": "ngo",
    "email": "info@rokas.example.lv",
    "domains": "legal",
    "preferred_language": "lv",
    "offers-0-domain": "legal",
    "offers-0-title": "Juridiskās konsultācijas",
    "offers-0-description": "Zvaniet 29123456",
    "offers-0-capacity": "0",
    "offers-0-regions": "riga",
    "offers-1-title": "",
}


@pytest.fixture
def gateway():
    config = SimpleNamespace(
        secret=KEY,
        link_key=KEY,
        link_keys=[KEY],
        timeout=1.0,
        public_url="http://localhost:8000",
        templates=pages.environment(),
    )
    service = worker_factory(GatewayService, config=config, kept=LastGood())
    answer(service, "allow_registration", True)
    answer(service, "submit_questionnaire", {"status": "pending", "held_offers": 1})
    return service


def answer(gateway, method: str, value=None, error: Exception | None = None) -> None:
    reply = getattr(gateway.registry, method).call_async.return_value
    reply.result.return_value = value
    reply.result.side_effect = error


def post(path: str, form: dict, query: str = "lang=lv", cookie: bool = True) -> Request:
    data = MultiDict(form.items() if isinstance(form, dict) else form)
    builder = EnvironBuilder(path=path, method="POST", data=data, query_string=query)
    if cookie:
        builder.headers["Cookie"] = f"tilts_csrf={BROWSER}"
    return Request(builder.get_environ())


def sent(gateway) -> tuple:
    return gateway.registry.submit_questionnaire.call_async.call_args.args


def test_the_form_reads_as_the_questionnaire_leaving_empty_offers_out():
    data, placed = register_form.questionnaire(
        MultiDict([*FORM.items(), ("regions", "riga"), ("regions", "latgale")])
    )
    assert data["name"] == "Palīdzīgās rokas" and data["regions"] == ["riga", "latgale"]
    assert "website" not in data and "phone" not in data  # the schema's defaults apply
    [offer] = data["offers"]
    assert offer["capacity"] == 0 and offer["regions"] == ["riga"]  # typed as typed
    assert placed == [0]
    offer = register_form.questionnaire(MultiDict({**FORM, "offers-0-capacity": "trīs"}))[0]
    assert offer["offers"][0]["capacity"] == "trīs"  # the registry names what is wrong


def test_a_mistake_comes_back_beside_its_field_with_everything_typed(gateway):
    details = {
        "offers": {
            "0": {
                "capacity": [
                    "Must be greater than or equal to 1 and less than or equal to 1000000."
                ],
                "description": [
                    "looks like a phone number; describe the situation, not the person"
                ],
            }
        },
        "email": ["Not a valid email address."],
    }
    answer(gateway, "submit_questionnaire", error=Invalid("invalid fields", details))
    reply = gateway.register_send(post("/register", FORM))
    text = reply.get_data(as_text=True)
    assert reply.status_code == 400 and reply.headers["Content-Language"] == "lv"
    assert 'id="offers-0-capacity-error">Vesels skaitlis no 1 līdz 1 000 000.' in text
    assert 'aria-describedby="offers-0-capacity-error"' in text
    assert "Tas izskatās pēc tālruņa numura." in text
    assert 'id="email-error">Ierakstiet e-pasta adresi' in text
    assert "Zvaniet 29123456</textarea>" in text and 'value="Palīdzīgās rokas"' in text
    assert 'value="legal" checked' in text and 'value="legal" selected' in text
    assert "Must be greater" not in text  # the validator's English stays out of lv


def test_offers_left_empty_do_not_shift_the_errors_of_the_next(gateway):
    form = {**FORM, "offers-0-title": "", "offers-0-description": "", "offers-0-capacity": ""}
    form |= {"offers-1-title": "Ēdiens", "offers-1-capacity": "2"}
    details = {"offers": {"0": {"regions": ["Shorter than minimum length 1."]}}}
    answer(gateway, "submit_questionnaire", error=Invalid("invalid fields", details))
    text = gateway.register_send(post("/register", form, "lang=en")).get_data(as_text=True)
    assert 'id="offers-1-regions-error">Choose at least one region.' in text
    assert len(sent(gateway)[0]["offers"]) == 1


def test_add_another_offer_keeps_everything_and_sends_nothing(gateway):
    reply = gateway.register_send(post("/register", {**FORM, "action": "more"}))
    text = reply.get_data(as_text=True)
    assert reply.status_code == 200 and 'id="offer-2"' in text and 'name="blocks" value="3"' in text
    assert "Zvaniet 29123456</textarea>" in text
    assert not gateway.registry.submit_questionnaire.call_async.called
    assert not gateway.registry.allow_registration.call_async.called


def test_without_its_csrf_token_the_form_is_refused(gateway):
    reply = gateway.register_send(post("/register", FORM, cookie=False))
    assert reply.status_code == 403
    assert not gateway.registry.submit_questionnaire.call_async.called


def test_a_bot_filling_the_hidden_field_gets_thanks_and_nothing_is_sent(gateway):
    reply = gateway.register_send(post("/register", {**FORM, "homepage": "http://spam.example"}))
    assert reply.status_code == 200 and "Pieteikums saņemts" in reply.get_data(as_text=True)
    assert not gateway.registry.submit_questionnaire.call_async.called


def test_past_the_limit_the_form_is_kept_with_a_429(gateway):
    answer(gateway, "allow_registration", False)
    reply = gateway.register_send(post("/register", FORM, "lang=en"))
    text = reply.get_data(as_text=True)
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "3600"
    assert "Too many registrations" in text and 'value="Palīdzīgās rokas"' in text
    assert not gateway.registry.submit_questionnaire.call_async.called


def test_with_the_registry_down_the_form_is_kept_with_a_503(gateway):
    gateway.registry.allow_registration.call_async.side_effect = UnknownService("registry")
    reply = gateway.register_send(post("/register", FORM, "lang=en"))
    assert reply.status_code == 503 and "what you typed is kept" in reply.get_data(as_text=True)


def test_registered_already_offers_a_link_to_the_registered_address_only(gateway):
    answer(
        gateway, "submit_questionnaire", {"status": "pending", "held_offers": 1, "repeated": True}
    )
    reply = gateway.register_send(post("/register", FORM, "lang=en"))
    text = reply.get_data(as_text=True)
    assert reply.status_code == 409 and "registered with Tilts already" in text
    attempt = re.search(r'name="attempt" value="([^"]+)"', text).group(1)
    sig = re.search(r'name="attempt_sig" value="([^"]+)"', text).group(1)
    assert attempt == sent(gateway)[1]  # the id the questionnaire went with
    gateway.register_signin(post("/register/signin", {"csrf": BROWSER, "attempt": attempt}))
    assert not gateway.registry.request_signin_for_repeated.call_async.called  # unsigned
    form = {"csrf": BROWSER, "attempt": attempt, "attempt_sig": sig}
    done = gateway.register_signin(post("/register/signin", form, "lang=en"))
    assert done.status_code == 200 and "Check the organisation" in done.get_data(True)
    asked = gateway.registry.request_signin_for_repeated.call_async.call_args.args
    assert asked[0] == attempt and asked[2] == "en"


def test_a_second_click_sends_the_same_registration_a_changed_one_another(gateway):
    shown = gateway.register_form(Request(EnvironBuilder(path="/register").get_environ()))
    ids = dict(re.findall(r'name="(form_id|form_sig)" value="([^"]+)"', shown.get_data(True)))
    form = {**FORM, **ids, "offers-0-capacity": "3", "offers-0-description": ""}
    gateway.register_send(post("/register", form))
    first = sent(gateway)[1]
    gateway.register_send(post("/register", form))
    assert sent(gateway)[1] == first and first[4:16] == ids["form_id"][4:16]
    gateway.register_send(post("/register", {**form, "name": "Citas rokas"}))
    assert sent(gateway)[1] != first
    gateway.register_send(post("/register", {**form, "form_sig": "0" * 32}))
    assert sent(gateway)[1] != first  # an id nobody signed is not taken
