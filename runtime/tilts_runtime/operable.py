"""What every backend service does for operators: health and parked events over RPC,
a heartbeat for its container's probe, metrics on its own port, and the relay that
publishes events a writer left behind."""

import logging
import time

from nameko.timer import timer
from pymongo.errors import ConnectionFailure

from tilts_contracts.errors import TiltsError

from . import audit, metrics
from .dependencies import Heartbeat, RefuseKnownSecret
from .probe import HEARTBEAT_SECONDS
from .queues import Rpc, dead_letters

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 10  # how often the outbox backlog is counted for metrics


def rpc(fn):
    """nameko's @rpc, with domain errors (Invalid, NotFound, Conflict...) logged as
    expected answers rather than as failures of the service."""
    return Rpc.decorator(expected_exceptions=TiltsError)(fn)


class Operable:
    """What every backend service does for operators: health and parked events over RPC,
    a heartbeat file for its container's probe, Prometheus metrics on METRICS_PORT.

    Mixed into each service class; the service provides `self.store` (a Store) and
    `self.dispatch` (an EventDispatcher).
    """

    alive = Heartbeat()
    known_secret = RefuseKnownSecret()
    metrics_endpoint = metrics.MetricsEndpoint()  # this process's metrics on METRICS_PORT
    rpc_timer = metrics.RpcTimer()

    @rpc
    def health(self) -> dict:
        return {"status": "ok" if self.store.ping() else "down"}

    @timer(interval=HEARTBEAT_SECONDS, eager=True)
    def heartbeat(self):
        """Touch HEARTBEAT_FILE: only a process whose timers still get workers does, so
        the liveness probe tests this process, not a sibling, the broker or the database."""
        self.alive.beat()

    @rpc
    def parked_events(self, limit: int = 100, before: str | None = None) -> list:
        """Events this service could not handle, newest first, with the reason."""
        return self.store.parked(min(int(limit), 1000), before)

    @rpc
    def audit_log(
        self,
        actor: str | None = None,
        object_id: str | None = None,
        since: str | None = None,
        limit: int = 100,
        before: str | None = None,
    ) -> list:
        """Who changed what in this service, newest first (the gateway merges services)."""
        return audit.read(self.store.db, actor, object_id, since, limit, before)

    @dead_letters
    def park_dead_letter(self, body, death: dict):
        """Park a request or event this service died on, delivery after delivery, with
        where and why (queues.DELIVERY_LIMIT), for admins to see in parked events. A
        request that expired unrun is dropped: its caller answered 503 long ago."""
        if death["reason"] == "expired":
            log.info("dropping a request that expired in %s", death["queue"])
            return
        log.error("parking a message %s", death["error"])
        try:
            self.store.park(body, death, death["handler"])
        except ConnectionFailure:
            time.sleep(5)  # it is requeued: not straight back while the database is away
            raise

    @timer(interval=1)
    def relay_events(self):
        """Publish events whose writer stopped before it could."""
        self.store.flush_outbox(self.dispatch)

    @timer(interval=OUTBOX_SECONDS, eager=True)
    def count_outbox(self):
        """Events stored and not yet published, for tilts_outbox_pending_events."""
        metrics.OUTBOX_PENDING.labels(self.name).set(self.store.outbox_pending())
