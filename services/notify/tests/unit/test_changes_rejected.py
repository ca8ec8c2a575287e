"""The email telling an organisation its own change was not accepted."""

from notify import letters, rendering
from tilts_contracts.events import envelope

REJECTED = {
    "id": "org_1",
    "name": "Drošā māja",
    "email": "info@drosa.lv",
    "preferred_language": "en",
    "fields": ["name", "website"],
    "reason": "<b>Nav</b> pamatojuma",
}


def rendered(rejected: dict) -> tuple[str, str, str]:
    env = envelope("organisation_changes_rejected", rejected)
    [msg] = letters.changes_rejected(env, env["payload"])
    assert (msg.recipient, msg.template) == (rejected["email"], "changes_rejected")
    templates = rendering.environment()
    templates.globals["org_url"] = "https://tilts.test/org"
    return rendering.render(templates, msg.template, msg.language, msg.context)


def test_the_email_names_the_fields_and_reason_in_each_language_and_no_value_in_its_subject():
    subject, text, html = rendered(REJECTED)
    assert subject == "Your requested change was not accepted"
    assert "(name, website)" in text and "<b>Nav</b> pamatojuma" in text
    assert "&lt;b&gt;Nav&lt;/b&gt;" in html and "<b>Nav" not in html
    assert "https://tilts.test/org" in text and 'href="https://tilts.test/org"' in html
    subject, text, html = rendered({**REJECTED, "preferred_language": "lv", "reason": ""})
    assert subject == "Jūsu prasītās izmaiņas netika pieņemtas"
    assert "(nosaukums, tīmekļa vietne)" in text and "(nosaukums, tīmekļa vietne)" in html
    assert "pamatojums" not in text


def test_an_organisation_without_an_address_is_written_nothing():
    env = envelope("organisation_changes_rejected", {**REJECTED, "email": None})
    assert letters.changes_rejected(env, env["payload"]) == []
