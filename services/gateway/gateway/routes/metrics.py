"""Prometheus metrics: what is in flight in every service, and how long work takes."""

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from werkzeug.wrappers import Response

from ..http import call_all, route
from .base import SERVICES, Routes

SCRAPE_SECONDS = 3.0
# (counts key, metric name, help)
GAUGES = [
    ("organisations", "tilts_organisations", "Organisations by status."),
    ("offers", "tilts_offers", "Offers by status."),
    ("needs", "tilts_needs", "Needs by status."),
    ("matches", "tilts_matches", "Matches by status."),
    ("notifications", "tilts_notifications", "Emails by status (sent, failed, pending, held)."),
]


class Snapshot:
    """One scrape's worth of numbers, collected from the services over RPC."""

    def __init__(self, counts: dict, handler_times: dict[str, dict], up: dict[str, bool]):
        self.counts, self.handler_times, self.up = counts, handler_times, up

    def collect(self):
        for key, name, help_text in GAUGES:
            family = GaugeMetricFamily(name, help_text, labels=["status"])
            for status, value in (self.counts.get(key) or {}).items():
                family.add_metric([status], value)
            yield family
        parked = GaugeMetricFamily("tilts_parked_events", "Events parked as unreadable.")
        parked.add_metric([], self.counts.get("parked_events", 0))
        yield parked
        up = GaugeMetricFamily(
            "tilts_service_up", "Whether a service answered.", labels=["service"]
        )
        for service, ok in self.up.items():
            up.add_metric([service], 1 if ok else 0)
        yield up
        count = CounterMetricFamily(
            "tilts_handler_calls",
            "Event handler calls, every worker of the service added up.",
            labels=["service", "handler"],
        )
        seconds = CounterMetricFamily(
            "tilts_handler_seconds",
            "Seconds spent in event handlers, every worker of the service added up.",
            labels=["service", "handler"],
        )
        for service, handlers in self.handler_times.items():
            for handler, stats in handlers.items():
                count.add_metric([service, handler], stats["count"])
                seconds.add_metric([service, handler], stats["seconds"])
        yield count
        yield seconds


class MetricsRoutes(Routes):
    @route("GET", "/metrics")
    def metrics(self, request):
        """Prometheus text format: counts by status, parked events, handler durations."""
        calls = {}
        for name in SERVICES:
            calls[(name, "counts")] = (getattr(self, name), "counts")
            calls[(name, "handler_times")] = (getattr(self, name), "handler_times")
        # all at once, one deadline: a down service costs 3 s once, within a scrape's 10 s
        answers = call_all(calls, timeout=min(SCRAPE_SECONDS, self.config.timeout))
        counts, times, up = {}, {}, {}
        for name in SERVICES:
            counted, timed = answers[(name, "counts")], answers[(name, "handler_times")]
            up[name] = isinstance(counted, dict) and isinstance(timed, dict)
            if up[name]:  # a down service shows as tilts_service_up 0
                counts.update(counted)
                times[name] = timed
        registry = CollectorRegistry()
        registry.register(Snapshot(counts, times, up))
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
