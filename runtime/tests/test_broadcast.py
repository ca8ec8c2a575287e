"""A broadcast handler on the real broker: every process of a service gets each event,
on a queue of its own that is classic, exclusive and auto-deleted (never quorum: the
broker refuses an exclusive quorum queue), and that the quorum migration leaves alone."""

import pytest
from nameko.standalone.events import event_dispatcher

from tilts_runtime.queues import Broadcast, arguments_for, broadcast

pytestmark = pytest.mark.integration


def listener():
    """A new service class whose instances note each event they are told of."""

    class Listener:
        name = "listener"
        heard: list = []

        @broadcast(("offer_pledged", "organisation_suspended"))
        def forget(self, payload):
            self.heard.append(payload["type"])

    return Listener


def test_every_process_hears_each_event_on_a_classic_exclusive_queue(
    container_factory, rabbit_config, rabbit_manager, wait_until
):
    services = [listener(), listener()]
    for service in services:
        container_factory(service, rabbit_config).start()
    dispatch = event_dispatcher(rabbit_config)
    dispatch("pledges", "offer_pledged", {"type": "offer_pledged"})
    dispatch("registry", "organisation_suspended", {"type": "organisation_suspended"})
    dispatch("pledges", "need_posted", {"type": "need_posted"})  # not bound: never heard
    for service in services:
        heard = wait_until(lambda s=service: sorted(s.heard), lambda h: len(h) >= 2, timeout=10)
        assert heard == ["offer_pledged", "organisation_suspended"]
    queues = [
        q
        for q in rabbit_manager.get_queues(rabbit_config["vhost"])
        if q["name"].startswith("broadcast-listener.forget-")
    ]
    assert len(queues) == 2  # one per process
    for queue in queues:
        assert queue.get("type", "classic") == "classic"
        assert (queue["exclusive"], queue["auto_delete"]) == (True, True)
        assert arguments_for(queue["name"]) is None  # the migration never makes it quorum


def test_an_unknown_event_type_is_refused_when_the_handler_is_declared():
    with pytest.raises(ValueError, match="offer_pledgd"):
        Broadcast(("offer_pledgd",))
