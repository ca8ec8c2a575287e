"""The registry service in a real nameko container, over RabbitMQ and NX-27017."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from registry.service import RegistryService
from tilts_contracts.errors import Conflict, Invalid

pytestmark = pytest.mark.integration

ORG = {
    "name": 'Biedrība "Drošā māja"',
    "email": "info@drosamaja.example.org",
    "domains": ["social"],
    "regions": ["riga"],
    "languages": ["lv", "ru"],
}


@pytest.fixture
def registry(container_factory, service_config):
    container = container_factory(RegistryService, service_config)
    container.start()
    return container


def test_a_duplicate_name_after_normalisation_is_a_conflict_naming_the_original(registry):
    with entrypoint_hook(registry, "create_organisation") as create:
        first = create(ORG, "coordinator")
        with pytest.raises(Conflict) as caught:
            create({**ORG, "name": "drosa maja", "email": "other@example.org"}, "coordinator")
    assert caught.value.details["existing_id"] == first["id"]


def test_bad_fields_are_named(registry):
    with entrypoint_hook(registry, "create_organisation") as create:
        with pytest.raises(Invalid) as caught:
            create({**ORG, "email": "not-an-email", "domains": ["space"]}, "coordinator")
    assert {"email", "domains"} <= set(caught.value.details)


def test_verifying_publishes_organisation_verified(registry, container_factory, service_config):
    with entrypoint_hook(registry, "create_organisation") as create:
        org = create(ORG, "coordinator")
    with entrypoint_hook(registry, "verify_organisation") as verify:
        verified = verify(org["id"], "coordinator")
    assert verified["status"] == "verified"
    with entrypoint_hook(registry, "list_organisations") as search:
        found = search({"q": "DROSA"}, 10, None)
    assert [o["id"] for o in found["items"]] == [org["id"]]


def test_events_are_published_with_the_envelope(registry, container_factory, service_config):
    from nameko.events import event_handler

    seen = []

    class Listener:
        name = "listener"

        @event_handler("registry", "organisation_registered")
        def on_registered(self, env):
            seen.append(env)

    listener = container_factory(Listener, service_config)
    listener.start()
    with entrypoint_waiter(listener, "on_registered", timeout=10):
        with entrypoint_hook(registry, "create_organisation") as create:
            org = create(ORG, "coordinator")
    assert seen[0]["type"] == "organisation_registered"
    assert seen[0]["payload"]["id"] == org["id"]
    assert seen[0]["payload"]["revision"] == 1


def listen(container_factory, service_config, *event_types):
    """A container that records every registry event of `event_types` it receives."""
    from nameko.events import event_handler

    seen = []

    class Listener:
        name = "listener"

    for event_type in event_types:

        def handle(self, env, _type=event_type):
            seen.append(env)

        setattr(Listener, f"on_{event_type}", event_handler("registry", event_type)(handle))
    listener = container_factory(Listener, service_config)
    listener.start()
    return listener, seen


QUESTIONNAIRE = {
    **ORG,
    "kind": "individual",
    "name": "Jānis Ozoliņš",
    "email": "janis@example.org",
    "offers": [{"domain": "legal", "title": "Konsultācijas", "capacity": 2, "regions": ["riga"]}],
}


def test_a_questionnaire_with_a_registered_email_gets_the_same_receipt_and_tells_the_owner(
    registry, container_factory, service_config
):
    listener, seen = listen(container_factory, service_config, "registration_repeated")
    with entrypoint_hook(registry, "submit_questionnaire") as submit:
        first = submit(QUESTIONNAIRE, "org_00000000000000000001")
        with entrypoint_waiter(listener, "on_registration_repeated", timeout=10):
            again = submit({**QUESTIONNAIRE, "name": "Cits vārds", "email": "JANIS@example.org"})
    assert first == again == {"status": "pending", "held_offers": 1}
    assert "org_" not in str(again)
    [env] = seen
    assert env["payload"]["organisation_id"] == "org_00000000000000000001"
    assert env["payload"]["matched"] == "email"


def test_an_import_names_what_each_duplicate_matched_and_catches_repeats_in_the_file(registry):
    with entrypoint_hook(registry, "create_organisation") as create:
        known = create(ORG, "coordinator")
    rows = [
        {"name": "DROŠĀ MĀJA", "email": "new@example.org"},
        {"name": "Pavisam cita", "email": ORG["email"].upper()},
        {"name": "Jauna biedrība", "email": "jauna@example.org"},
        {"name": "jauna", "email": "jauna2@example.org"},  # "biedrība" is a legal form
        {"name": "x", "email": "bad"},
    ]
    with entrypoint_hook(registry, "import_rows") as import_rows:
        report = import_rows(rows, "coordinator")
    assert [(r["row"], r["result"], r.get("matched")) for r in report] == [
        (1, "duplicate", "name"),
        (2, "duplicate", "email"),
        (3, "created", None),
        (4, "duplicate", "name"),
        (5, "invalid", None),
    ]
    assert report[0]["existing_id"] == report[1]["existing_id"] == known["id"]
    assert report[3]["existing_id"] == report[2]["id"]


def test_edits_and_suspension_are_published_and_the_trail_says_what_changed(
    registry, container_factory, service_config
):
    listener, seen = listen(
        container_factory, service_config, "organisation_updated", "organisation_suspended"
    )
    with entrypoint_hook(registry, "create_organisation") as create:
        org = create(ORG, "coordinator")
    with entrypoint_hook(registry, "update_organisation") as update:
        with entrypoint_waiter(listener, "on_organisation_updated", timeout=10):
            update(org["id"], {"regions": ["riga", "latgale"], "phone": "+371 2"}, "koord")
        update(org["id"], {"regions": ["riga", "latgale"]}, "koord")  # changes nothing
        update(org["id"], {}, "koord")
    with entrypoint_hook(registry, "suspend_organisation") as suspend:
        for bad in ({"reason": {"x": ["y"]}}, {"reason": "r" * 501}, {"why": "?"}):
            with pytest.raises(Invalid) as caught:
                suspend(org["id"], "koord", bad)
            assert set(caught.value.details) <= {"reason", "why"}
        with entrypoint_waiter(listener, "on_organisation_suspended", timeout=10):
            suspend(org["id"], "koord", {"reason": "dokumenti jāpārbauda"})
    assert [e["type"] for e in seen] == ["organisation_updated", "organisation_suspended"]
    with entrypoint_hook(registry, "get_organisation_detail") as detail:
        history = detail(org["id"])["history"]
    assert [h["action"] for h in history] == ["registered", "updated", "suspended"]
    assert history[1]["fields"] == ["phone", "regions"]
    assert history[1]["changes"] == {"regions": {"from": ["riga"], "to": ["riga", "latgale"]}}
    assert history[2]["reason"] == "dokumenti jāpārbauda"


def test_staff_see_the_held_offers_and_history_of_a_questionnaire(registry):
    with entrypoint_hook(registry, "submit_questionnaire") as submit:
        submit(QUESTIONNAIRE, "org_00000000000000000002")
    with entrypoint_hook(registry, "get_organisation_detail") as detail:
        seen = detail("org_00000000000000000002")
    assert seen["source"] == "questionnaire"
    assert [o["title"] for o in seen["held_offers"]] == ["Konsultācijas"]
    assert seen["history"][0]["by"] == "questionnaire"


def test_search_matches_every_word_whatever_the_punctuation(registry):
    with entrypoint_hook(registry, "create_organisation") as create:
        org = create(ORG, "coordinator")
    with entrypoint_hook(registry, "list_organisations") as search:
        for q in ("biedriba drosa maja", "  drosa   MAJA ", "maja drosa", '"Drošā"'):
            assert [o["id"] for o in search({"q": q}, 10, None)["items"]] == [org["id"]], q
        assert search({"q": "drosa cita"}, 10, None)["items"] == []
        assert search({"q": "!!!"}, 10, None)["items"] == []


def test_keys_stored_by_older_rules_are_recomputed_at_start(container_factory, service_config):
    from pymongo import MongoClient

    with MongoClient(service_config["MONGO_URI"]) as mongo:
        mongo.tilts_registry.organisations.insert_one(
            {
                "_id": "org_00000000000000000003",
                "name": "Nodarbinātības valsts aģentūra",
                "email": "nva@example.org",
                "email_key": "nva@example.org",
                "name_key": "nodarbinatibas",  # "valsts" and "aģentūra" were stripped
                "search_key": "nodarbinatibas valsts agentura",
                "status": "verified",
            }
        )
    container = container_factory(RegistryService, service_config)
    container.start()
    with entrypoint_hook(container, "create_organisation") as create:
        other = create({"name": "Nodarbinātības biedrība", "email": "nb@example.org"}, "c")
        with pytest.raises(Conflict):
            create({"name": "NODARBINATIBAS VALSTS AGENTURA", "email": "x@example.org"}, "c")
    assert other["name"] == "Nodarbinātības biedrība"


def test_public_profiles_answers_for_every_id_however_many(container_factory, service_config):
    from pymongo import MongoClient

    from registry import rules

    ids = [f"org_{n:024x}" for n in range(2500)]
    with MongoClient(service_config["MONGO_URI"]) as mongo:
        mongo.tilts_registry.organisations.insert_many(
            {
                "_id": org_id,
                "name": f"Biedrība {n}",
                "email": f"b{n}@example.org",
                "email_key": f"b{n}@example.org",
                "name_key": str(n),
                "search_key": f"biedriba {n}",
                "key_version": rules.KEYS_VERSION,
                "status": "verified",
            }
            for n, org_id in enumerate(ids)
        )
    container = container_factory(RegistryService, service_config)
    container.start()
    with entrypoint_hook(container, "public_profiles") as profiles:
        found = profiles(ids + ["org_ffffffffffffffffffffffff"])
    assert sorted(found) == ids
    assert found[ids[-1]] == {
        "name": "Biedrība 2499",
        "website": None,
        "status": "verified",
        "anonymous": False,
        "private": False,
    }


def test_a_change_waiting_for_review_may_not_take_another_organisations_name(registry):
    # held unchecked, the verify that applies it would be a 409 for ever after
    with entrypoint_hook(registry, "create_organisation") as create:
        other = create({**ORG, "name": "Zaļā sala", "email": "sala@example.org"}, "coord")
        mine = create({**ORG, "name": "Mana biedrība", "email": "mana@example.org"}, "coord")
    with entrypoint_hook(registry, "verify_organisation") as verify:
        verify(mine["id"], "coord")
    with entrypoint_hook(registry, "update_organisation") as update:
        for taken in ({"name": "ZAĻĀ SALA"}, {"email": "Sala@example.org"}):
            with pytest.raises(Conflict) as caught:
                update(mine["id"], taken, "org:me", True)
            assert caught.value.details["existing_id"] == other["id"]
        held = update(mine["id"], {"name": "Mana jaunā biedrība"}, "org:me", True)
    assert held["pending_changes"] == {"name": "Mana jaunā biedrība"}


def test_an_address_signs_in_for_one_organisation_only(registry):
    # two organisations holding one address: its sign-in would land in either
    with entrypoint_hook(registry, "create_organisation") as create:
        theirs = create({**ORG, "name": "Viņu biedrība", "email": "vinu@example.org"}, "coord")
        mine = create({**ORG, "name": "Mūsu biedrība", "email": "musu@example.org"}, "coord")
    with entrypoint_hook(registry, "update_organisation") as update:
        with pytest.raises(Conflict) as caught:
            update(mine["id"], {"contacts": ["VINU@example.org"]}, "org:me", True)
        assert "contacts" in caught.value.details
        update(theirs["id"], {"contacts": ["kopa@example.org"]}, "org:them", True)
        with pytest.raises(Conflict):
            update(mine["id"], {"contacts": ["kopa@example.org"]}, "org:me", True)
    with entrypoint_hook(registry, "create_organisation") as create:
        with pytest.raises(Conflict) as caught:
            create({**ORG, "name": "Trešā", "email": "Kopa@example.org"}, "coord")
    assert caught.value.details["existing_id"] == theirs["id"]
    with entrypoint_hook(registry, "import_rows") as import_rows:
        [line] = import_rows([{**ORG, "name": "Ceturtā", "email": "kopa@example.org"}], "coord")
    assert (line["result"], line["existing_id"]) == ("duplicate", theirs["id"])


def test_two_organisations_sharing_an_address_from_before_can_still_be_changed(registry, mongo_uri):
    # stored before addresses were checked: a coordinator must still suspend either
    from pymongo import MongoClient

    from tilts_contracts import settings

    with entrypoint_hook(registry, "create_organisation") as create:
        first = create({**ORG, "name": "Pirmā", "email": "pirma@example.org"}, "coord")
        second = create({**ORG, "name": "Otrā", "email": "otra@example.org"}, "coord")
    with MongoClient(mongo_uri) as client:
        orgs = client[settings.database_name("registry")].organisations
        orgs.update_one({"_id": first["id"]}, {"$set": {"contact_keys": ["otra@example.org"]}})
    with entrypoint_hook(registry, "suspend_organisation") as suspend:
        assert suspend(second["id"], "coord", "pārbaude")["status"] == "suspended"
        assert suspend(first["id"], "coord", "pārbaude")["status"] == "suspended"


def test_two_deliveries_of_one_registration_racing_store_it_once(mongo_uri):
    # a double click on /register sends one id twice; the second insert meets the first
    from pymongo import MongoClient

    from registry import rules
    from registry.access_store import RegistryStore
    from tilts_contracts.clock import utcnow

    class Racing(RegistryStore):
        raced = False

        def insert(self, collection, doc, *args, **kwargs):
            if not self.raced:  # the other delivery lands between the check and the insert
                self.raced = True
                super().insert(collection, dict(doc), *args, **kwargs)
            return super().insert(collection, doc, *args, **kwargs)

    client = MongoClient(mongo_uri)
    store = Racing(client["tilts_registry_race_test"])
    try:
        store.ensure_indexes()
        org = rules.register(ORG, "org_00000000000000000race", utcnow())
        stored = store.add_organisation(org, "organisation_registered")
        assert stored["_id"] == org["_id"]
        assert store.db.organisations.count_documents({}) == 1
    finally:
        client.drop_database("tilts_registry_race_test")
        client.close()


def test_contacts_added_by_two_people_at_once_are_both_kept(registry, service_config):
    with entrypoint_hook(registry, "create_organisation") as create:
        org = create({**ORG, "name": "Abu biedrība", "email": "abi@example.org"}, "coord")
    addresses = [f"kolega{n}@example.org" for n in range(4)]
    with ClusterRpcProxy(service_config) as cluster:  # four requests in flight at once
        asked = [
            cluster.registry.edit_contacts.call_async(org["id"], {"add": a}, f"org:{a}")
            for a in addresses
        ]
        for reply in asked:
            reply.result()
    with entrypoint_hook(registry, "get_organisation") as get:
        assert sorted(get(org["id"])["contacts"]) == addresses
    with entrypoint_hook(registry, "edit_contacts") as edit:
        with pytest.raises(Invalid) as caught:
            edit(org["id"], {"add": "not an address"}, "org:me")
        assert "contacts" in caught.value.details
        edit(org["id"], {"remove": "KOLEGA0@example.org"}, "org:me")
    with entrypoint_hook(registry, "get_organisation") as get:
        assert "kolega0@example.org" not in get(org["id"])["contacts"]
