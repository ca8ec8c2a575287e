"""The nameko dependencies every backend service uses: its own database, the event
dispatcher that declares the service's queues, the heartbeat file and the refusal to
start with a secret anyone can read."""

import os

from amqp.exceptions import PreconditionFailed
from nameko.amqp.publish import get_connection
from nameko.constants import AMQP_SSL_CONFIG_KEY
from nameko.events import EventDispatcher as NamekoEventDispatcher
from nameko.extensions import DependencyProvider
from pymongo import MongoClient

from tilts_contracts import settings

from .queues import declared_by, event_queue
from .store import Store

CLASSIC_LEFT = (
    "declared differently by an earlier version (a classic queue?): stop the services, "
    "run deploy/rabbitmq/migrate_to_quorum.py, start them again (README, Quorum queues)"
)


class MongoDatabase(DependencyProvider):
    """Opens this service's own database in setup() and injects `store_class(db)`."""

    def __init__(self, store_class: type[Store]):
        self.store_class = store_class

    def setup(self):
        uri = settings.get(self.container.config, "MONGO_URI")
        self.client = MongoClient(uri, serverSelectionTimeoutMS=10000)
        self.db = self.client[settings.database_name(self.container.service_name)]
        faults = settings.get(self.container.config, "FAULT_EXIT_AFTER_WRITE")
        self.exit_after = frozenset(filter(None, (f.strip() for f in faults.split(","))))
        self.store_class(self.db).ensure_indexes()

    def stop(self):
        self.client.close()

    def kill(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.store_class(self.db, self.exit_after)


class RefuseKnownSecret(DependencyProvider):
    """Stops the service at start-up, in one line, when AUTH_SECRET is one anyone can
    read in the repository and PUBLIC_URL is not a local address."""

    def setup(self):
        problem = settings.secret_problem(self.container.config)
        if problem:
            raise SystemExit(f"tilts: {problem}")  # `nameko run` prints it and exits 1

    def get_dependency(self, worker_ctx):
        return None


class Heartbeat(DependencyProvider):
    """The process's heartbeat file (HEARTBEAT_FILE; none when it is empty)."""

    def setup(self):
        self.path = settings.get(self.container.config, "HEARTBEAT_FILE")

    def get_dependency(self, worker_ctx):
        return self

    def beat(self) -> None:
        if self.path:
            with open(self.path, "a"):
                pass
            os.utime(self.path)


def consumer_queue(event_type: str, consumer: str) -> str:
    """The queue nameko gives `consumer`'s SERVICE_POOL handler of `event_type`."""
    return event_queue(event_type, consumer, {}).name


class EventDispatcher(NamekoEventDispatcher):
    """nameko's dispatcher, which also declares, when the service starts and over one
    short-lived connection, every durable queue of the service (queues.declared_by):
    those of its events' consumers, exactly as their handlers declare them, so an event
    published before its consumer has ever run waits instead of being dropped; its own
    event, RPC and dead-letter queues. A classic queue left by an earlier version stops
    the start in one line saying how to migrate it."""

    def setup(self):
        super().setup()  # declares the exchange, and makes the publisher
        config = self.container.config
        queues = declared_by(self.container.service_name, config)
        with get_connection(self.amqp_uri, config.get(AMQP_SSL_CONFIG_KEY)) as conn:
            channel = conn.channel()
            for queue in queues:
                try:
                    queue.bind(channel).declare()
                except PreconditionFailed as exc:
                    raise SystemExit(f"tilts: queue {queue.name}: {CLASSIC_LEFT} ({exc})") from None
