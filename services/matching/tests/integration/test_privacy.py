"""What matching forgets, over real RabbitMQ and NX-27017: a need's free text once
pledges' retention forgot it, and everything of an erased organisation (its name and
address on its matches, its offers' text, its answer record, parked events and events
still waiting in an outbox). Every collection is searched, serialised."""

import json

import pytest
from pymongo import MongoClient

from matching.service import MatchingService
from tilts_contracts.events import envelope
from tilts_contracts.settings import database_name
from tilts_runtime.store import OUTBOX, OUTBOX_AT, PENDING, VERSION

from .test_matching import World, need_payload, offer_payload

pytestmark = pytest.mark.integration

NAME, EMAIL = "Jānis Ozoliņš", "janis.ozolins@example.lv"
OFFER_TEXT = {
    "title": "Jāņa Ozoliņa juridiskās konsultācijas",
    "description": "Konsultē Jānis Ozoliņš pats",
    "unit": "stundas ar Jāni",
}
ORG_NEEDLES = ("Ozoliņ", "Jāņa", "Jāni", "janis.ozolins")
DESCRIPTION, CASE_REF = "Ģimene ar trim bērniem pēc pārcelšanās", "RIX-2026-0042"


@pytest.fixture
def world(container_factory, service_config, dispatch_event):
    container = container_factory(MatchingService, {**service_config, "TEST_CLOCK": True})
    container.start()
    with MongoClient(service_config["MONGO_URI"]) as client:
        yield World(container, dispatch_event, client[database_name("matching")])


def leftovers(mongo_uri: str, needles) -> list[str]:
    """Every document of matching's database, serialised, that holds one of `needles`."""
    found = []
    with MongoClient(mongo_uri) as client:
        db = client[database_name("matching")]
        for name in db.list_collection_names():
            for doc in db[name].find({}):
                text = json.dumps(doc, default=str, ensure_ascii=False)
                found += [f"{name}/{doc['_id']}: {n}" for n in needles if n in text]
    return found


def left_waiting(mongo_uri: str, collection: str, doc_id: str, event_type: str) -> None:
    """Leave a copy of the document as an event in its outbox, as a writer that died
    before publishing would (stamped in the future, so the relay leaves it be)."""
    with MongoClient(mongo_uri) as client:
        coll = client[database_name("matching")][collection]
        doc = coll.find_one({"_id": doc_id})
        payload = {"need": {**doc, "id": doc_id}} if event_type == "need_unmatched" else doc
        event = envelope(event_type, {**payload, "id": doc_id, "covered": 0, "reason": "gap"})
        coll.update_one(
            {"_id": doc_id},
            {
                "$set": {OUTBOX: [event], PENDING: True, OUTBOX_AT: "2999-01-01T00:00:00Z"},
                "$inc": {VERSION: 1},
            },
        )


def forgotten(need: dict, status: str, revision: int) -> dict:
    """need_updated as pledges' retention sends it."""
    return {
        **need,
        "description": "",
        "case_ref": "",
        "status": status,
        "revision": revision,
        "text_forgotten_at": "2027-06-01T00:00:00Z",
    }


def test_an_ended_needs_text_goes_from_every_copy(world, mongo_uri):
    org = world.org("Palīdzētāji")
    world.offer(org, capacity=1)
    text = {"description": DESCRIPTION, "case_ref": CASE_REF}
    met = need_payload(quantity=1, **text)
    world.send("pledges", envelope("need_posted", met), "on_need_posted")
    [match] = world.matches(met)
    world.call("accept_match", match["id"], org["id"])
    world.call("fulfil_match", match["id"], org["id"])
    dropped = need_payload(quantity=1, **text)
    world.send("pledges", envelope("need_posted", dropped), "on_need_posted")  # a gap
    cancelled = world.cancel(dropped)
    left_waiting(mongo_uri, "needs", dropped["id"], "need_unmatched")
    left_waiting(mongo_uri, "matches", match["id"], "match_fulfilled")
    assert leftovers(mongo_uri, (DESCRIPTION, CASE_REF))  # the copies hold it until then

    world.send(
        "pledges", envelope("need_updated", forgotten(met, "fulfilled", 4)), "on_need_updated"
    )
    world.send(
        "pledges", envelope("need_updated", forgotten(cancelled, "cancelled", 3)), "on_need_updated"
    )

    assert leftovers(mongo_uri, (DESCRIPTION, CASE_REF)) == []
    # what counts stays: the match, its quantity and status, the need's coverage
    details = world.call("match_details", match["id"])
    assert (details["status"], details["quantity"], details["need"]["title"]) == (
        "fulfilled",
        1,
        met["title"],
    )
    assert details["need"]["description"] == "" and details["need"]["case_ref"] == ""


def test_an_erased_organisation_leaves_nothing_in_matching(world, mongo_uri, dispatch_event):
    org = world.org(NAME)
    org = {**org, "email": EMAIL}
    world.send(
        "registry",
        envelope("organisation_updated", {**org, "revision": 3}),
        "on_organisation_updated",
    )
    offer = world.offer(org, capacity=2, **OFFER_TEXT)
    need = world.need(quantity=1)
    [match] = world.matches(need)
    world.call("accept_match", match["id"], org["id"])
    asked = world.need(quantity=1)
    [proposal] = world.matches(asked)  # still open: erasure takes it back
    left_waiting(mongo_uri, "matches", match["id"], "match_accepted")
    # an event matching could not read, naming the organisation's address: parked whole
    broken = envelope("offer_pledged", offer_payload(org["id"]))
    broken["payload"] = {"organisation_id": org["id"], "contact": EMAIL}
    world.send("pledges", broken, "on_offer_pledged")
    assert world.call("parked_events", 10)
    assert set(leftovers(mongo_uri, ORG_NEEDLES))

    erased = {
        "id": org["id"],
        "name": "Anonymous organisation",
        "email": None,
        "status": "verified",
        "erased": True,
        "revision": 4,
    }
    world.send("registry", envelope("organisation_updated", erased), "on_organisation_updated")
    # an edit pledges sent before the erasure, arriving after it, brings no text back
    late = {**offer, **OFFER_TEXT, "revision": 2}
    world.send("pledges", envelope("offer_updated", late), "on_offer_updated")

    assert leftovers(mongo_uri, ORG_NEEDLES) == []
    details = world.call("match_details", match["id"])
    assert details["organisation"] == {
        "id": org["id"],
        "name": "Anonymous organisation",
        "email": None,
        "preferred_language": "lv",
    }
    assert (details["offer"]["title"], details["offer"]["description"]) == ("—", "")
    assert details["status"] == "accepted"  # the help it agreed to stands
    assert [m["status"] for m in world.matches(asked) if m["id"] == proposal["id"]] == ["cancelled"]
    [parked] = world.call("parked_events", 10)
    assert parked["event"]["payload"] == {"organisation_id": org["id"]}
    with MongoClient(mongo_uri) as client:
        stats = client[database_name("matching")].org_stats
        assert stats.find_one({"_id": org["id"]}) is None
