"""Each process counts its own work in memory and serves it to Prometheus: RPCs by
outcome with their durations, event handler runs by outcome, on METRICS_PORT."""

import pytest
import requests
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from stack import free_port

from tilts_contracts.errors import Conflict
from tilts_runtime.consumer import RetryLater, consumes

ORG = {
    "name": "Metriku biedrība",
    "email": "metrics@example.org",
    "domains": ["social"],
    "regions": ["riga"],
    "languages": ["lv"],
}


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class ParkingStore:
    def __init__(self):
        self.parked = []

    def park(self, message, reason, handler):
        self.parked.append((handler, reason))


class Counted:
    name = "counted"

    def __init__(self, fail_with=None):
        self.store, self.fail_with = ParkingStore(), fail_with

    @consumes("pledges", "need_posted")
    def on_need_posted(self, env, payload):
        if self.fail_with:
            raise self.fail_with


def envelope() -> dict:
    from tilts_contracts.events import envelope as make

    need = {"id": "need_0123456789ab", "domain": "social", "title": "Tulks", "region": "riga"}
    return make("need_posted", {**need, "quantity": 1, "status": "open"})


def handler_runs(outcome: str) -> float:
    return sample(
        "tilts_event_handler_runs_total",
        service="counted",
        handler="on_need_posted",
        outcome=outcome,
    )


def test_every_handler_run_is_counted_by_outcome_and_timed():
    from pymongo.errors import AutoReconnect

    before = {o: handler_runs(o) for o in ("ok", "parked", "retry")}
    timed = sample("tilts_event_handler_seconds_count", service="counted", handler="on_need_posted")
    Counted().on_need_posted(envelope())
    Counted().on_need_posted({"type": "need_posted", "payload": "not an object"})
    Counted(fail_with=KeyError("bug")).on_need_posted(envelope())
    with pytest.raises(RetryLater):
        Counted(fail_with=AutoReconnect("no primary")).on_need_posted(envelope())
    assert handler_runs("ok") - before["ok"] == 1
    assert handler_runs("parked") - before["parked"] == 2
    assert handler_runs("retry") - before["retry"] == 1
    after = sample("tilts_event_handler_seconds_count", service="counted", handler="on_need_posted")
    assert after - timed == 4


@pytest.mark.integration
def test_a_backend_serves_its_rpc_counts_and_durations_on_its_metrics_port(
    container_factory, service_config
):
    from registry.service import RegistryService

    port = free_port()
    container = container_factory(
        RegistryService, {**service_config, "METRICS_PORT": str(port), "HTTP_HOST": "127.0.0.1"}
    )
    container.start()
    with entrypoint_hook(container, "create_organisation") as create:
        create(ORG, "coordinator")
        with pytest.raises(Conflict):
            create(ORG, "coordinator")
    served = scraped(f"http://127.0.0.1:{port}/metrics")
    rpc = {"service": "registry", "method": "create_organisation"}
    assert served["tilts_rpc_calls_total", _key({**rpc, "outcome": "ok"})] == 1
    assert served["tilts_rpc_calls_total", _key({**rpc, "outcome": "refused"})] == 1
    assert served["tilts_rpc_seconds_count", _key(rpc)] == 2
    assert ("tilts_outbox_pending_events", _key({"service": "registry"})) in served
    container.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)


def _key(labels: dict) -> tuple:
    return tuple(sorted(labels.items()))


def scraped(url: str) -> dict:
    """What a Prometheus scrape of `url` reads: {(sample name, labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(url, timeout=10).text
    return {
        (s.name, _key(s.labels)): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
