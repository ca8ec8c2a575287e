"""Pledges forgets an erased organisation, over RabbitMQ and NX-27017: nothing of its
name, email or phone stays in any of its collections. Offers the guard refuses, held
since a questionnaire, stay off the wall."""

import json
import uuid

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from pymongo import MongoClient

from pledges.service import PledgesService
from tilts_contracts.events import envelope
from tilts_contracts.settings import database_name

pytestmark = pytest.mark.integration

ORG_ID = "org_00000000000000000001"
NAME, EMAIL, PHONE = "Jānis Ozoliņš", "janis.ozolins@example.lv", "+371 29 555 111"
NEEDLES = ("Ozoliņ", "Jāņa", "janis.ozolins", "29 555 111")


@pytest.fixture
def pledges(container_factory, service_config):
    container = container_factory(PledgesService, service_config)
    container.start()
    return container


def organisation(**fields) -> dict:
    return {
        "id": ORG_ID,
        "revision": 2,
        "name": NAME,
        "kind": "individual",
        "email": EMAIL,
        "status": "verified",
        **fields,
    }


def deliver(container, dispatch_event, handler: str, env: dict) -> None:
    with entrypoint_waiter(container, handler, timeout=15):
        dispatch_event(env["producer"], env)


def leftovers(mongo_uri: str, needles=NEEDLES) -> list[str]:
    """Every document of pledges' database, serialised, that holds one of `needles`."""
    found = []
    with MongoClient(mongo_uri) as client:
        db = client[database_name("pledges")]
        for name in db.list_collection_names():
            for doc in db[name].find({}):
                text = json.dumps(doc, default=str, ensure_ascii=False)
                found += [f"{name}/{doc['_id']}: {n}" for n in needles if n in text]
    return found


def test_erasure_leaves_nothing_of_the_organisation(pledges, dispatch_event, mongo_uri):
    with entrypoint_hook(pledges, "pledge_offer") as pledge:
        offer = pledge(
            {
                "organisation_id": ORG_ID,
                "domain": "awareness",
                "title": "Jāņa Ozoliņa sarunu vakari",
                "description": "Vada Jānis Ozoliņš",
                "unit": "vakari ar Jāni Ozoliņu",
                "capacity": 2,
                "regions": ["zemgale"],
            }
        )
    with entrypoint_hook(pledges, "post_need") as post:
        need = post({"domain": "awareness", "title": "Saruna", "region": "zemgale", "quantity": 1})
    # matching's event names whom to write to: pledges keeps the match, not the contact
    match = {
        "id": "mat_000000000000000001",
        "revision": 1,
        "need_id": need["id"],
        "offer_id": offer["id"],
        "organisation_id": ORG_ID,
        "quantity": 1,
        "score": 0.9,
        "status": "proposed",
        "respond_by": "2026-12-01T00:00:00Z",
        "organisation": {"id": ORG_ID, "name": NAME, "email": EMAIL},
    }
    deliver(pledges, dispatch_event, "on_match_proposed", envelope("match_proposed", match))
    # an event pledges could not read, parked with all it said of the organisation
    broken = envelope("organisation_verified", organisation(phone=PHONE))
    broken["payload"].pop("status")
    deliver(pledges, dispatch_event, "on_organisation_verified", broken)
    assert leftovers(mongo_uri)  # the test would see them

    erased = organisation(name="Anonymous organisation", email=None, erased=True, revision=3)
    update = envelope("organisation_updated", erased)
    deliver(pledges, dispatch_event, "on_organisation_updated", update)
    deliver(pledges, dispatch_event, "on_organisation_updated", update)  # redelivered

    assert leftovers(mongo_uri) == []
    with entrypoint_hook(pledges, "get_offer") as get:
        kept = get(offer["id"])
    assert (kept["title"], kept["description"], kept["unit"]) == ("—", "", "")
    assert (kept["capacity"], kept["domain"]) == (2, "awareness")  # the record stays
    with entrypoint_hook(pledges, "parked_events") as parked:
        [tombstone] = parked()
    assert tombstone["event"]["event_id"] == broken["event_id"]
    assert tombstone["event"]["payload"] == {"organisation_id": ORG_ID}


def test_held_offers_the_guard_refuses_stay_off_the_wall_and_are_parked_by_number(
    pledges, dispatch_event
):
    held = {"domain": "social", "capacity": 1, "regions": ["riga"]}
    verified = organisation(
        id=f"org_{uuid.uuid4().hex[:20]}",
        held_offers=[
            {**held, "title": "Zupas virtuve"},
            {**held, "title": "Gultas", "description": "zvaniet 29 123 456"},  # held before
        ],
    )
    deliver(pledges, dispatch_event, "on_organisation_verified", envelope(
        "organisation_verified", verified
    ))  # fmt: skip
    with entrypoint_hook(pledges, "list_offers") as offers:
        shown = offers({"organisation_id": verified["id"]})["items"]
    assert [o["title"] for o in shown] == ["Zupas virtuve"]
    with entrypoint_hook(pledges, "parked_events") as parked:
        [event] = parked()
    said = json.dumps(event["reason"], ensure_ascii=False)
    assert "held_offers" in said and "looks like a phone number" in said
    assert "29 123 456" not in said
