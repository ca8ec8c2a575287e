"""The registry service in a real nameko container, over RabbitMQ and NX-27017."""

import pytest
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
