"""The shared contracts: envelopes, config defaults, tokens, taxonomies."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tilts_contracts import events, settings, taxonomy, tokens
from tilts_contracts.errors import Conflict, Unauthenticated

ORG = {"id": "org_0123456789abcdef", "name": "Drošā māja", "status": "pending", "revision": 1}


def test_an_envelope_round_trips_through_parse():
    env = events.envelope("organisation_registered", {**ORG, "_private": "x"})
    assert uuid.UUID(env["event_id"])
    assert env["producer"] == "registry" and env["schema_version"] == events.SCHEMA_VERSION
    assert "_private" not in env["payload"]
    parsed, payload = events.parse(env, "organisation_registered")
    assert payload["name"] == "Drošā māja"
    assert parsed["event_id"] == env["event_id"]


@pytest.mark.parametrize(
    "mutate, reason_key",
    [
        (lambda e: e.update(schema_version=99), "schema_version"),
        (lambda e: e.update(type="organisation_exploded"), "type"),
        (lambda e: e["payload"].pop("name"), "payload"),
        (lambda e: e.update(event_id="not-a-uuid"), "event_id"),
    ],
)
def test_a_malformed_event_is_refused_with_the_reason(mutate, reason_key):
    env = events.envelope("organisation_registered", ORG)
    mutate(env)
    with pytest.raises(events.MalformedEvent) as caught:
        events.parse(env)
    assert reason_key in caught.value.reason


def test_settings_read_the_environment_with_defaults():
    config = settings.from_env({"SMTP_HOST": "mail.example.lv", "MAIL_FROM": ""})
    assert config["SMTP_HOST"] == "mail.example.lv"
    assert config["AMQP_URI"] == settings.DEFAULTS["AMQP_URI"]
    assert config["MAIL_FROM"] == settings.DEFAULTS["MAIL_FROM"]  # empty means unset
    assert settings.get({"SMTP_PORT": 1025}, "SMTP_PORT") == "1025"
    assert settings.get({"AUTH_SECRET": ""}, "AUTH_SECRET") == settings.DEFAULTS["AUTH_SECRET"]
    assert settings.get({"AUTH_SECRET": "~"}, "AUTH_SECRET") == "~"
    assert settings.flag({"SMTP_STARTTLS": True}, "SMTP_STARTTLS") is True


@pytest.mark.parametrize(
    "raw, whole",
    [
        ("soon", False),
        ("-1", False),
        ("61", False),
        ("nan", False),
        ("inf", False),
        ("1.5", True),
        ("", True),
    ],
)
def test_a_number_setting_out_of_its_range_stops_the_start_naming_it(raw, whole, monkeypatch):
    monkeypatch.setitem(settings.RANGES, "SOME_SECONDS", (0, 60, whole, "seconds"))
    config = {"SOME_SECONDS": raw}
    with pytest.raises(SystemExit) as stop:
        settings.number(config, "SOME_SECONDS")
    kind = "a whole number" if whole else "a number"
    assert str(stop.value) == f"tilts: SOME_SECONDS must be {kind} of seconds, 0 to 60: {raw!r}"


def test_a_number_setting_in_range_is_read_as_set_or_as_its_default():
    assert settings.number({"RPC_TIMEOUT": " 2.5 "}, "RPC_TIMEOUT") == 2.5
    assert settings.number({"DIGEST_HOUR": 23}, "DIGEST_HOUR") == 23
    assert settings.number({}, "SMTP_PORT") == 1025  # the default
    for key in settings.RANGES:  # every number has a default, and it is in range
        settings.number({}, key)


def test_errors_keep_their_details_through_rpc_serialisation():
    from nameko.exceptions import deserialize, serialize

    exc = deserialize(serialize(Conflict("exists", {"existing_id": "org_1"})))
    assert isinstance(exc, Conflict)
    assert exc.details == {"existing_id": "org_1"} and str(exc) == "exists"


def test_tokens_carry_role_and_organisation_and_expire():
    secret = "s" * 40
    claims = tokens.read_token(secret, tokens.issue_token(secret, "organisation", org="org_1"))
    assert claims["role"] == "organisation" and claims["org"] == "org_1"
    old = tokens.issue_token(secret, "admin", now=datetime.now(UTC) - timedelta(days=40))
    with pytest.raises(Unauthenticated):
        tokens.read_token(secret, old)
    with pytest.raises(Unauthenticated):
        tokens.read_token("x" * 40, tokens.issue_token(secret, "admin"))


def test_a_response_link_is_not_an_api_token():
    secret = "s" * 40
    expires = datetime.now(UTC) + timedelta(hours=1)
    link = tokens.sign_response_link(secret, "mat_1", "org_1", expires)
    assert tokens.read_response_link(secret, link)["match"] == "mat_1"
    with pytest.raises(Unauthenticated):
        tokens.read_token(secret, link)


def test_every_domain_and_region_has_both_languages():
    for table in (taxonomy.DOMAINS, taxonomy.OFFER_REGIONS, taxonomy.URGENCIES):
        for code, entry in table.items():
            assert entry["lv"] and entry["en"], code
    assert len(taxonomy.DOMAINS) == 7
    assert {"lv", "en", "ru", "uk", "ar"} <= taxonomy.LANGUAGES
