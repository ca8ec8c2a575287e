"""Who may act, in a running registry over RabbitMQ and NX-27017: sign-in links (once,
limited, the same answer for everyone), sessions, personal tokens, staff, and what
suspension, removal and erasure do to them."""

import time

import eventlet
import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook
from pymongo import MongoClient

from registry import accounts
from registry.service import RegistryService
from tilts_contracts.errors import Invalid, NotFound
from tilts_contracts.settings import database_name

pytestmark = pytest.mark.integration

ORG = {"name": "Drošā māja", "email": "Info@DrosaMaja.example.lv", "domains": ["social"]}
CONTACT = "anna@drosamaja.example.lv"


class Mailbox:
    """Stands in for notify: keeps every signin_requested event it is given."""

    name = "mailbox"
    seen: list = []

    @event_handler("registry", "signin_requested")
    def on_signin_requested(self, env):
        Mailbox.seen.append(env["payload"])


@pytest.fixture
def registry(container_factory, service_config):
    Mailbox.seen = []
    mailbox = container_factory(Mailbox, service_config)
    mailbox.start()
    container = container_factory(RegistryService, service_config)
    container.start()
    return container


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


@pytest.fixture
def org(registry):
    return call(registry, "create_organisation", {**ORG, "contacts": [CONTACT]}, "staff:s0")


def signed_in(registry, email, client="10.0.0.1"):
    answer = call(registry, "request_signin", email, client, "en")
    assert answer == {"status": "sent"}
    deadline = time.monotonic() + 10
    while not [p for p in Mailbox.seen if p["email"] == email.casefold()]:
        assert time.monotonic() < deadline, "no signin_requested event"
        eventlet.sleep(0.05)
    payload = [p for p in Mailbox.seen if p["email"] == email.casefold()][-1]
    return payload, call(registry, "use_signin", payload["token"])


def test_a_contact_signs_in_once_with_the_emailed_link(registry, org):
    payload, used = signed_in(registry, CONTACT)
    assert payload["language"] == "en" and payload["kind"] == "organisation"
    assert used["status"] == "ok"
    identity = used["identity"]
    assert identity["organisation_id"] == org["id"] and identity["role"] == "organisation"
    assert identity["account"].startswith(f"org:{org['id']}:")
    assert call(registry, "session", used["session"]) == identity
    assert call(registry, "use_signin", payload["token"]) == {"status": "used"}
    assert call(registry, "use_signin", "x" * 43) == {"status": "unknown"}
    call(registry, "end_session", used["session"])
    assert call(registry, "session", used["session"]) is None


def test_the_database_keeps_hashes_only(registry, org, mongo_uri):
    payload, used = signed_in(registry, ORG["email"])
    with MongoClient(mongo_uri) as client:
        db = client[database_name("registry")]
        stored = str(list(db.signins.find())) + str(list(db.sessions.find()))
    assert payload["token"] not in stored and used["session"] not in stored
    assert accounts.digest(payload["token"]) in stored


def test_unknown_known_and_junk_get_the_same_answer(registry, org, mongo_uri):
    for email in (CONTACT, "nobody@example.lv", "x" * 10_000, None, ""):
        assert call(registry, "request_signin", email, "10.0.0.2", "lv") == {"status": "sent"}
    with MongoClient(mongo_uri) as client:
        db = client[database_name("registry")]
        assert db.signins.count_documents({}) == 1  # the known address only
        assert db.limits.count_documents({}) == 3  # the client, and two addresses


def test_links_per_address_and_requests_per_client_are_limited(registry, org, mongo_uri):
    def links() -> int:
        with MongoClient(mongo_uri) as client:
            return client[database_name("registry")].signins.count_documents({})

    for n in range(accounts.PER_ADDRESS + 2):
        call(registry, "request_signin", CONTACT, f"10.1.0.{n}", "lv")
    assert links() == accounts.PER_ADDRESS
    for n in range(accounts.PER_CLIENT):
        call(registry, "request_signin", f"someone{n}@example.lv", "10.9.9.9", "lv")
    call(registry, "request_signin", ORG["email"], "10.9.9.9", "lv")
    assert links() == accounts.PER_ADDRESS  # that client is done for the hour
    call(registry, "request_signin", ORG["email"], "10.9.9.10", "lv")
    assert links() == accounts.PER_ADDRESS + 1


def test_an_expired_link_says_so(registry, org, mongo_uri):
    first, _ = signed_in(registry, CONTACT)
    other = signed_in(registry, ORG["email"])[0]
    with MongoClient(mongo_uri) as client:
        db = client[database_name("registry")]
        db.signins.update_one(
            {"_id": accounts.digest(other["token"])},
            {"$set": {"expires_at": "2020-01-01T00:00:00Z", "used_at": None}},
        )
    assert call(registry, "use_signin", other["token"]) == {"status": "expired"}
    assert call(registry, "use_signin", first["token"]) == {"status": "used"}


def test_personal_tokens_are_capped_listed_revoked_and_stop_with_suspension(registry, org):
    _, used = signed_in(registry, CONTACT)
    account = used["identity"]["account"]
    with pytest.raises(Invalid) as caught:
        call(registry, "make_token", account, "laptop", 91)
    assert "days" in caught.value.details
    made = call(registry, "make_token", account, "laptop", 90)
    assert made["identity"]["organisation_id"] == org["id"]
    assert call(registry, "token_status", made["id"])["account"] == account
    assert [t["id"] for t in call(registry, "list_tokens", account)["items"]] == [made["id"]]
    with pytest.raises(NotFound):
        call(registry, "revoke_token", "staff:someone", made["id"])
    second = call(registry, "make_token", account, "phone", None)
    call(registry, "revoke_token", account, made["id"])
    assert call(registry, "token_status", made["id"]) is None
    assert call(registry, "token_status", second["id"]) is not None
    call(registry, "suspend_organisation", org["id"], "staff:s0", "checking")
    assert call(registry, "token_status", second["id"]) is None
    assert call(registry, "session", used["session"]) is None


def test_staff_are_added_listed_and_removed(registry):
    added = call(
        registry,
        "add_staff",
        {"email": "Lead@Example.lv", "role": "coordinator", "domains": ["health"]},
        "operator",
    )
    assert added["email"] == "lead@example.lv" and added["domains"] == ["health"]
    with pytest.raises(Invalid) as caught:
        call(registry, "add_staff", {"email": "x", "role": "boss"}, "operator")
    assert {"email", "role"} <= set(caught.value.details)
    payload, used = signed_in(registry, "lead@example.lv")
    assert payload["kind"] == "staff" and used["identity"]["role"] == "coordinator"
    token = call(registry, "make_token", used["identity"]["account"], "cli", 30)
    assert [s["email"] for s in call(registry, "list_staff")["items"]] == ["lead@example.lv"]
    call(registry, "remove_staff", "lead@example.lv", "staff:admin")
    assert call(registry, "list_staff")["items"] == []
    assert call(registry, "session", used["session"]) is None
    assert call(registry, "token_status", token["id"]) is None
    again = call(registry, "add_staff", {"email": "lead@example.lv", "role": "admin"}, "operator")
    assert again["id"] == added["id"] and again["role"] == "admin"


def test_erasure_ends_sessions_tokens_and_links(registry, org, mongo_uri):
    _, used = signed_in(registry, CONTACT)
    call(registry, "make_token", used["identity"]["account"], "laptop", 10)
    call(registry, "request_signin", ORG["email"], "10.3.0.1", "lv")
    call(registry, "erase_organisation", org["id"], used["identity"]["account"])
    with MongoClient(mongo_uri) as client:
        db = client[database_name("registry")]
        for name in ("sessions", "tokens", "signins"):
            assert db[name].count_documents({"organisation_id": org["id"]}) == 0, name


def test_the_audit_log_names_who_changed_an_organisation(registry, org):
    call(registry, "verify_organisation", org["id"], "staff:s1")
    log = call(registry, "audit_log", None, org["id"], None, 10)
    assert [(e["by"], e["action"]) for e in log] == [
        ("staff:s1", "verified"),
        ("staff:s0", "registered"),
    ]


# -- the /register page ---------------------------------------------------------------
def test_the_register_page_learns_of_a_repeat_and_links_only_the_registered_address(
    registry, org, mongo_uri
):
    attempt = "org_00000000000000000002"
    twin = {"name": "DROŠĀ MĀJA", "email": "someone-else@example.lv"}
    assert call(registry, "submit_questionnaire", twin) == {"status": "pending", "held_offers": 0}
    told = call(registry, "submit_questionnaire", twin, attempt, True)
    assert told == {"status": "pending", "held_offers": 0, "repeated": True}
    answer = call(registry, "request_signin_for_repeated", attempt, "10.3.0.1", "en")
    assert answer == {"status": "sent"} and "@" not in str(answer)
    deadline = time.monotonic() + 10
    while not Mailbox.seen:
        assert time.monotonic() < deadline, "no signin_requested event"
        eventlet.sleep(0.05)
    assert [p["email"] for p in Mailbox.seen] == [ORG["email"].casefold()]
    for unknown in ("org_00000000000000000009", None, "x" * 1000, org["id"]):
        assert call(registry, "request_signin_for_repeated", unknown, "10.3.0.1") == answer
    with MongoClient(mongo_uri) as client:
        db = client[database_name("registry")]
        assert db.signins.count_documents({}) == 1
        db.repeated_registrations.update_one(
            {"_id": attempt}, {"$set": {"at": "2020-01-01T00:00:00Z"}}
        )
    call(registry, "request_signin_for_repeated", attempt, "10.3.0.1", "en")
    with MongoClient(mongo_uri) as client:  # too late: the page that asked is long gone
        assert client[database_name("registry")].signins.count_documents({}) == 1


def test_questionnaires_from_the_page_are_limited_per_client(registry):
    allowed = [call(registry, "allow_registration", "10.4.0.1") for _ in range(21)]
    assert allowed == [True] * accounts.PER_CLIENT_REGISTRATIONS + [False]
    assert call(registry, "allow_registration", "10.4.0.2") is True
