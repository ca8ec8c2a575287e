"""notify and the registry's events, over real RabbitMQ, NX-27017 and SMTP: who is told of
a questionnaire, what erasure leaves, and a repeated registration."""

import json
import uuid

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from pymongo import MongoClient

from notify.service import NotifyService
from tilts_contracts.events import envelope

pytestmark = pytest.mark.integration


def address():
    return f"reviewer-{uuid.uuid4().hex[:10]}@example.org"


@pytest.fixture
def notify(container_factory, service_config):
    container = container_factory(NotifyService, service_config)
    container.start()
    return container


def publish(container, dispatch_event, env, handler):
    with entrypoint_waiter(container, handler, timeout=10):
        dispatch_event("registry", env)


def questionnaire(**fields) -> dict:
    return {
        "id": f"org_{uuid.uuid4().hex[:16]}",
        "name": "Jānis Ozoliņš",
        "kind": "individual",
        "email": address(),
        "status": "pending",
        "revision": 1,
        "domains": [],
        "regions": ["riga"],
        "source": "questionnaire",
        "preferred_language": "lv",
        "held_offers": [
            {
                "domain": "legal",
                "title": "Juridiskas konsultācijas",
                "description": "Zvaniet +371 26 777 676",
                "capacity": 3,
                "unit": "h/week",
                "regions": ["riga"],
            }
        ],
        **fields,
    }


def test_a_questionnaire_reaches_who_follows_its_offers_domains_with_their_titles(
    notify, dispatch_event, smtp_sink
):
    legal, health = address(), address()
    with entrypoint_hook(notify, "subscribe") as subscribe:
        subscribe({"email": legal, "language": "en", "domains": ["legal"]})
        subscribe({"email": health, "language": "en", "domains": ["health"]})
    org = questionnaire()  # no domains of its own: its offer is in legal
    publish(
        notify,
        dispatch_event,
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    [msg] = smtp_sink.wait_for(legal, subject="awaits review")
    text = msg.get_body(("plain",)).get_content()
    assert "Domains: Legal" in text
    assert "- Juridiskas konsultācijas (Legal" in text
    assert f"GET http://tilts.test/api/organisations/{org['id']}" in text
    assert "26 777 676" not in text  # the offer's free text is not repeated
    assert smtp_sink.messages(health) == []
    smtp_sink.wait_for(org["email"], subject="Saņēmām jūsu pieteikumu")


def test_a_questionnaire_nobody_follows_goes_to_the_coordinator_address(
    container_factory, service_config, dispatch_event, smtp_sink
):
    coordinator = address()
    container = container_factory(
        NotifyService, {**service_config, "COORDINATOR_EMAIL": coordinator}
    )
    container.start()
    org = questionnaire(held_offers=[], domains=["children"])
    publish(
        container,
        dispatch_event,
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    [msg] = smtp_sink.wait_for(coordinator)
    assert msg["Subject"] == "Jauns pieteikums gaida pārbaudi: Jānis Ozoliņš"


def test_an_organisation_a_coordinator_added_is_not_thanked_for_registering(
    notify, dispatch_event, smtp_sink
):
    org = questionnaire(source="coordinator", held_offers=[])
    publish(
        notify,
        dispatch_event,
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    with entrypoint_hook(notify, "list_notifications") as listing:
        assert listing({"recipient": org["email"]}, 10, None)["items"] == []


def test_erasure_leaves_no_name_or_offer_text_in_a_reviewers_message(
    notify, dispatch_event, smtp_sink, service_config
):
    reviewer = address()
    with entrypoint_hook(notify, "subscribe") as subscribe:
        subscribe({"email": reviewer, "language": "lv", "domains": ["legal"]})
    org = questionnaire()
    publish(
        notify,
        dispatch_event,
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    smtp_sink.wait_for(reviewer)
    erased = {**org, "name": "Anonymous organisation", "email": None, "revision": 3}
    erased.update(held_offers=[], erased=True)
    publish(
        notify, dispatch_event, envelope("organisation_updated", erased), "on_organisation_updated"
    )
    with MongoClient(service_config["MONGO_URI"]) as mongo:
        db = mongo["tilts_notify"]
        text = json.dumps(
            [d for c in db.list_collection_names() for d in db[c].find({})], default=str
        )
        [review] = db.notifications.find({"template": "questionnaire_review"})
    for personal in ("Ozoliņš", org["email"], "777 676", "Juridiskas"):
        assert personal not in text, personal
    assert review["recipient"] == reviewer  # the coordinator's own message stays theirs
    assert review["about_organisation"] == org["id"]


def test_a_repeated_registration_is_told_to_the_registered_address_once_a_day(
    notify, dispatch_event, smtp_sink
):
    org = questionnaire(source="coordinator", preferred_language="en", name="Dzīvības koks")
    publish(
        notify,
        dispatch_event,
        envelope("organisation_registered", org),
        "on_organisation_registered",
    )
    attempt = {
        "id": f"org_{uuid.uuid4().hex[:16]}",
        "organisation_id": org["id"],
        "matched": "email",
    }
    for _ in range(2):  # a second attempt the same day sends nothing more
        attempt = {**attempt, "id": f"org_{uuid.uuid4().hex[:16]}"}
        env = envelope("registration_repeated", attempt)
        publish(notify, dispatch_event, env, "on_registration_repeated")
    [msg] = smtp_sink.wait_for(org["email"])
    assert msg["Subject"] == "Your organisation is already registered with Tilts: Dzīvības koks"
    assert "with this email address" in msg.get_body(("plain",)).get_content()
    with entrypoint_hook(notify, "list_notifications") as listing:
        assert len(listing({"recipient": org["email"]}, 10, None)["items"]) == 1
