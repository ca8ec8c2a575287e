"""An organisation's own change held for review, in a running registry over RabbitMQ
and NX-27017: coordinators find who has one, and may refuse it."""

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from registry.service import RegistryService
from tilts_contracts.errors import Conflict, Invalid

pytestmark = pytest.mark.integration

ORG = {"name": "Drošā māja", "email": "info@drosamaja.example.lv", "domains": ["social"]}


class Listener:
    """Stands in for notify and matching: keeps the registry's events it is given."""

    name = "listener"
    seen: list = []

    @event_handler("registry", "organisation_changes_rejected")
    def on_organisation_changes_rejected(self, env):
        Listener.seen.append(env)

    @event_handler("registry", "organisation_updated")
    def on_organisation_updated(self, env):
        Listener.seen.append(env)


@pytest.fixture
def registry(container_factory, service_config):
    Listener.seen = []
    listener = container_factory(Listener, service_config)
    listener.start()
    container = container_factory(RegistryService, service_config)
    container.start()
    return container, listener


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def held_change(registry, org: dict = ORG) -> dict:
    """A verified organisation that asked to change its name (held for review)."""
    service, listener = registry
    made = call(service, "create_organisation", org, "staff:s0")
    call(service, "verify_organisation", made["id"], "staff:s0")
    with entrypoint_waiter(listener, "on_organisation_updated", timeout=10):
        asked = {"name": org["name"] + " Rīgā", "phone": "+371 67000000"}
        call(service, "update_organisation", made["id"], asked, "organisation:x", True)
    return made


def listed(service, pending: str) -> list[str]:
    page = call(service, "list_organisations", {"pending_changes": pending}, 50, None)
    return [o["id"] for o in page["items"]]


def test_the_filter_finds_only_organisations_with_a_change_held(registry):
    service, _ = registry
    waiting = held_change(registry)
    other = call(service, "create_organisation", {"name": "Cita", "email": "c@x.lv"}, "s0")
    assert listed(service, "true") == [waiting["id"]]
    assert listed(service, "false") == [other["id"]]
    call(service, "reject_organisation_changes", waiting["id"], "staff:s1")
    assert listed(service, "true") == []
    assert sorted(listed(service, "false")) == sorted([waiting["id"], other["id"]])


def test_a_rejected_change_keeps_the_verified_values_and_tells_only_the_organisation(
    registry,
):
    service, listener = registry
    org = held_change(registry)
    Listener.seen = []
    with entrypoint_waiter(listener, "on_organisation_changes_rejected", timeout=10):
        answer = call(
            service, "reject_organisation_changes", org["id"], "staff:s1", {"reason": "Kāpēc?"}
        )
    assert (answer["name"], answer["pending_changes"]) == (ORG["name"], {})
    assert answer["phone"] == "+371 67000000"  # what needed no review stays changed
    # nothing public changed: no organisation_updated, only the rejection
    [env] = Listener.seen
    assert env["type"] == "organisation_changes_rejected"
    payload = env["payload"]
    assert (payload["id"], payload["email"], payload["name"]) == (
        org["id"],
        ORG["email"],
        ORG["name"],
    )
    assert (payload["fields"], payload["reason"]) == (["name"], "Kāpēc?")
    detail = call(service, "get_organisation_detail", org["id"])
    assert detail["history"][-1]["action"] == "changes_rejected"
    assert detail["history"][-1]["reason"] == "Kāpēc?"
    log = call(service, "audit_log", None, org["id"], None, 10)
    assert (log[0]["by"], log[0]["action"], log[0]["summary"]) == (
        "staff:s1",
        "changes_rejected",
        "name",
    )


def test_nothing_held_is_a_conflict_and_a_bad_reason_is_named(registry):
    service, _ = registry
    org = held_change(registry)
    with pytest.raises(Invalid) as caught:
        call(service, "reject_organisation_changes", org["id"], "s1", {"reason": "r" * 501})
    assert set(caught.value.details) == {"reason"}
    with pytest.raises(Invalid) as caught:
        call(service, "reject_organisation_changes", org["id"], "s1", {"why": "?"})
    assert "why" in caught.value.details
    call(service, "reject_organisation_changes", org["id"], "s1")
    with pytest.raises(Conflict) as caught:
        call(service, "reject_organisation_changes", org["id"], "s1")
    assert caught.value.details == {"pending_changes": ["nothing held"]}
    # the refused change is gone: verifying (already verified) has nothing to apply
    with pytest.raises(Conflict):
        call(service, "verify_organisation", org["id"], "s1")
    assert call(service, "get_organisation", org["id"])["name"] == ORG["name"]
