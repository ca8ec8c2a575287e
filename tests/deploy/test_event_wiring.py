"""The table of who consumes which event (events.CONSUMERS) is the one the services'
handlers make: producers declare their consumers' queues from it, so a handler missing
from it would miss what is published before its service first starts."""

import inspect

from nameko.events import EventHandler

from matching.service import MatchingService
from notify.service import NotifyService
from pledges.service import PledgesService
from registry.service import RegistryService
from tilts_contracts.events import CONSUMERS, EVENTS
from tilts_runtime.dependencies import consumer_queue

SERVICES = (RegistryService, PledgesService, MatchingService, NotifyService)


def handlers() -> set[tuple[str, str, str, str]]:
    """(producer, event type, consuming service, method) of every event handler."""
    found = set()
    for service in SERVICES:
        for name, method in inspect.getmembers(service, inspect.isfunction):
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventHandler):
                    found.add(
                        (entrypoint.source_service, entrypoint.event_type, service.name, name)
                    )
    return found


def test_every_handler_is_in_the_consumers_table_and_nothing_else():
    table = {
        (EVENTS[event_type][0], event_type, consumer, f"on_{event_type}")
        for event_type, consumers in CONSUMERS.items()
        for consumer in consumers
    }
    assert handlers() == table


def test_the_queue_a_producer_declares_is_the_one_its_consumer_reads():
    # nameko names a SERVICE_POOL handler's queue evt-<source>-<type>--<service>.<method>
    for source, event_type, service, method in handlers():
        assert (
            consumer_queue(event_type, service) == f"evt-{source}-{event_type}--{service}.{method}"
        )
