"""Erasure in a running registry, over RabbitMQ and NX-27017: after it, no document of
any registry collection holds the organisation's name, email or phone; its id, status,
domains and the trail of what happened (by id) stay."""

import json

import pytest
from nameko.testing.services import entrypoint_hook
from pymongo import MongoClient

from registry.service import RegistryService
from tilts_contracts.settings import database_name

pytestmark = pytest.mark.integration

NAME, EMAIL, PHONE = "Jānis Ozoliņš", "janis.ozolins@example.lv", "+371 29 555 111"
NEEDLES = ("Ozoliņ", "janis.ozolins", "29 555 111", "ozolins.lv")


@pytest.fixture
def registry(container_factory, service_config):
    container = container_factory(RegistryService, service_config)
    container.start()
    return container


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def leftovers(mongo_uri: str) -> list[str]:
    found = []
    with MongoClient(mongo_uri) as client:
        db = client[database_name("registry")]
        for name in db.list_collection_names():
            for doc in db[name].find({}):
                text = json.dumps(doc, default=str, ensure_ascii=False)
                found += [f"{name}/{doc['_id']}: {n}" for n in NEEDLES if n in text]
    return found


def test_erasure_leaves_no_name_or_contact_in_any_collection(registry, mongo_uri):
    org = call(
        registry,
        "create_organisation",
        {
            "name": NAME,
            "kind": "individual",
            "email": EMAIL,
            "phone": PHONE,
            "website": "https://ozolins.lv",
            "description": "Es esmu Jānis Ozoliņš no Jelgavas",
            "domains": ["awareness"],
        },
        "anna@koordinatori.lv",
    )
    call(registry, "update_organisation", org["id"], {"regions": ["zemgale"]}, EMAIL)
    call(registry, "verify_organisation", org["id"], "anna@koordinatori.lv")
    call(registry, "suspend_organisation", org["id"], "anna@koordinatori.lv", "Ozoliņš neatbild")
    # someone sends the questionnaire again with the same address: the attempt is kept
    receipt = call(registry, "submit_questionnaire", {"name": f"{NAME} otrreiz", "email": EMAIL})
    assert receipt["status"] == "pending"
    assert leftovers(mongo_uri)  # the test would see them

    erased = call(registry, "erase_organisation", org["id"], EMAIL)

    assert leftovers(mongo_uri) == []
    assert (erased["name"], erased["email"], erased["phone"]) == (
        "Anonymous organisation",
        None,
        None,
    )
    detail = call(registry, "get_organisation_detail", org["id"])
    assert detail["domains"] == ["awareness"] and detail["status"] == "suspended"
    trail = [(h["action"], h.get("by")) for h in detail["history"]]
    own = f"organisation:{org['id']}"
    assert trail == [
        ("registered", "anna@koordinatori.lv"),
        ("updated", own),
        ("verified", "anna@koordinatori.lv"),
        ("suspended", "anna@koordinatori.lv"),
        ("erased", own),
    ]
