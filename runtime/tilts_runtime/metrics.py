"""Prometheus metrics of one Tilts process, kept in its memory and served by it.

Every process counts its own work and Prometheus scrapes each one (every pod, every
`make run` service) and adds them up: nothing is stored in MongoDB or summed on a scrape.
Backends serve theirs on METRICS_PORT (unset: not served); the gateway on its /metrics.
The names here are the vocabulary deploy/grafana/tilts.json is built on.
"""

import logging
import time

import eventlet
import eventlet.wsgi
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

from tilts_contracts import settings

log = logging.getLogger(__name__)

# seconds, from a page served from memory to an RPC deadline and an SMTP session
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "tilts_http_requests",
    "HTTP requests the gateway answered, by route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "tilts_http_request_seconds",
    "Time the gateway took to answer, by route template.",
    ["method", "route"],
    buckets=BUCKETS,
)
RPC_CALLS = Counter(
    "tilts_rpc_calls",
    "RPCs a backend answered: ok, refused (a domain error: invalid, not found, "
    "conflict...) or error (a bug).",
    ["service", "method", "outcome"],
)
RPC_SECONDS = Histogram(
    "tilts_rpc_seconds",
    "Time a backend took to answer an RPC.",
    ["service", "method"],
    buckets=BUCKETS,
)
RPC_CLIENT_CALLS = Counter(
    "tilts_rpc_client_calls",
    "RPCs the gateway made: ok, refused, error, timeout (no answer by its deadline) or "
    "unavailable (no such service running).",
    ["service", "method", "outcome"],
)
RPC_CLIENT_SECONDS = Histogram(
    "tilts_rpc_client_seconds",
    "Time the gateway waited for an RPC's answer (up to its deadline).",
    ["service", "method"],
    buckets=BUCKETS,
)
HANDLER_RUNS = Counter(
    "tilts_event_handler_runs",
    "Event handler runs: ok, retry (a storage outage; the event waits in RabbitMQ), "
    "parked (unreadable, or a bug; kept with the reason) or failed (not even parked).",
    ["service", "handler", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "tilts_event_handler_seconds",
    "Time an event handler run took.",
    ["service", "handler"],
    buckets=BUCKETS,
)
EMAILS = Counter(
    "tilts_emails",
    "Emails by outcome: sent, retry (to be tried again), failed (the last attempt), "
    "unsendable (could not be composed).",
    ["template", "outcome"],
)
EMAIL_SECONDS = Histogram(
    "tilts_email_send_seconds",
    "Time one SMTP session took, sent or not.",
    buckets=BUCKETS,
)
OUTBOX_PENDING = Gauge(
    "tilts_outbox_pending_events",
    "Events stored with their write and not yet published (the relay sends them).",
    ["service"],
)
STALE_PAGES = Counter(
    "tilts_stale_pages",
    "Public pages served from the last good copy because a backend was slow or down.",
    ["page"],
)

# What the gateway's /metrics reads from the services at each scrape: how much work is in
# each state now (counts key, metric name, help), and whether each service answered.
SNAPSHOT_GAUGES = (
    ("organisations", "tilts_organisations", "Organisations by status."),
    ("offers", "tilts_offers", "Offers by status."),
    ("needs", "tilts_needs", "Needs by status."),
    ("matches", "tilts_matches", "Matches by status."),
    ("notifications", "tilts_notifications", "Emails by status (sent, failed, pending, held)."),
)
PARKED, SERVICE_UP = "tilts_parked_events", "tilts_service_up"

# What deploy/grafana/ may refer to: each metric's family name.
NAMES = frozenset(name for _, name, _ in SNAPSHOT_GAUGES) | {PARKED, SERVICE_UP}
NAMES |= frozenset(
    m._name
    for m in (
        HTTP_REQUESTS,
        HTTP_SECONDS,
        RPC_CALLS,
        RPC_SECONDS,
        RPC_CLIENT_CALLS,
        RPC_CLIENT_SECONDS,
        HANDLER_RUNS,
        HANDLER_SECONDS,
        EMAILS,
        EMAIL_SECONDS,
        OUTBOX_PENDING,
        STALE_PAGES,
    )
)


class MetricsEndpoint(DependencyProvider):
    """Serves this process's metrics at http://HTTP_HOST:METRICS_PORT/metrics.

    One server per process: a second service container in the same process (tests)
    finds the port taken by the first and serves nothing more.
    """

    serving: dict[int, "MetricsEndpoint"] = {}  # port -> the endpoint that serves it

    def setup(self):
        config = self.container.config
        port = settings.get(config, "METRICS_PORT")
        self.port = int(port) if port else None
        self.host = settings.get(config, "HTTP_HOST")
        self.server = None

    def start(self):
        if self.port is None or self.port in self.serving:
            return
        try:
            sock = eventlet.listen((self.host, self.port))
        except OSError as exc:
            raise SystemExit(f"tilts: METRICS_PORT {self.port} cannot be used: {exc}") from exc
        self.serving[self.port] = self
        self.server = eventlet.spawn(eventlet.wsgi.server, sock, make_wsgi_app(), log_output=False)
        log.info("metrics on http://%s:%s/metrics", self.host, self.port)

    def stop(self):
        if self.server is not None:
            self.server.kill()
            self.server = None
            self.serving.pop(self.port, None)

    kill = stop

    def get_dependency(self, worker_ctx):
        return None


class RpcTimer(DependencyProvider):
    """Times every RPC this service answers and counts how each one ended."""

    def setup(self):
        self.began: dict = {}

    def worker_setup(self, worker_ctx):
        if isinstance(worker_ctx.entrypoint, Rpc):
            self.began[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        began = self.began.pop(worker_ctx, None)
        if began is None:
            return
        entrypoint = worker_ctx.entrypoint
        service, method = worker_ctx.service_name, entrypoint.method_name
        RPC_SECONDS.labels(service, method).observe(time.perf_counter() - began)
        if exc_info is None:
            outcome = "ok"
        elif issubclass(exc_info[0], entrypoint.expected_exceptions or ()):
            outcome = "refused"
        else:
            outcome = "error"
        RPC_CALLS.labels(service, method, outcome).inc()

    def worker_teardown(self, worker_ctx):
        self.began.pop(worker_ctx, None)  # a worker killed before its result

    def get_dependency(self, worker_ctx):
        return None
