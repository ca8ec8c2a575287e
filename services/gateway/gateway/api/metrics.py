"""Prometheus metrics: this gateway process's own (requests by route and status, RPCs
it waited for), and how much work is in each state now, asked of every service.

The backends serve their own counters on their METRICS_PORT: Prometheus scrapes every
process and adds them up, so nothing is summed here. The metric names are defined in
tilts_runtime.metrics."""

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from werkzeug.wrappers import Response

from tilts_runtime.metrics import PARKED, SERVICE_UP, SNAPSHOT_GAUGES

from .base import SERVICES, Routes
from .routing import tagged
from .rpc import call_all

route = tagged("operations")

SCRAPE_SECONDS = 3.0


class Snapshot:
    """One scrape's worth of counts by status, collected from the services over RPC."""

    def __init__(self, counts: dict, up: dict[str, bool]):
        self.counts, self.up = counts, up

    def collect(self):
        for key, name, help_text in SNAPSHOT_GAUGES:
            family = GaugeMetricFamily(name, help_text, labels=["status"])
            for status, value in (self.counts.get(key) or {}).items():
                family.add_metric([status], value)
            yield family
        parked = GaugeMetricFamily(PARKED, "Events parked as unreadable.")
        parked.add_metric([], self.counts.get("parked_events", 0))
        yield parked
        up = GaugeMetricFamily(SERVICE_UP, "Whether a service answered.", labels=["service"])
        for service, ok in self.up.items():
            up.add_metric([service], 1 if ok else 0)
        yield up


class MetricsRoutes(Routes):
    @route("GET", "/metrics", answer="text/plain")
    def metrics(self, request):
        """Prometheus text format: this process's counters and histograms, and the
        counts by status every service answers with (inside the cluster network only,
        or with METRICS_TOKEN: the edge refuses it through a proxy)."""
        calls = {name: (getattr(self, name), "counts") for name in SERVICES}
        # all at once, one deadline: a down service costs 3 s once, within a scrape's 10 s
        answers = call_all(calls, timeout=min(SCRAPE_SECONDS, self.config.timeout))
        counts, up = {}, {}
        for name in SERVICES:
            up[name] = isinstance(answers[name], dict)
            if up[name]:  # a down service shows as tilts_service_up 0
                counts.update(answers[name])
        snapshot = CollectorRegistry()
        snapshot.register(Snapshot(counts, up))
        body = generate_latest(REGISTRY) + generate_latest(snapshot)
        return Response(body, content_type=CONTENT_TYPE_LATEST)
