"""The queues Tilts declares, one definition for the services and the migration script.

Every durable queue (events, RPC requests, retry back-off) is a quorum queue, so a
RabbitMQ cluster keeps it on a majority of nodes and loses nothing with one node. Event
and RPC queues also have a delivery limit: a message whose consumer dies on it
DELIVERY_LIMIT times goes to the owner's dead-letter queue, where `Operable` parks it
with the reason, instead of taking the service down forever. RPC reply queues stay
nameko's exclusive, auto-deleted classic queues: they live as long as their caller.
"""

import logging
import re
import time
import uuid
from functools import partial

from kombu import Exchange, Queue, binding
from nameko import messaging as nameko_messaging
from nameko import rpc as nameko_rpc
from nameko.events import get_event_exchange
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer
from nameko.rpc import get_rpc_exchange
from nameko.utils import sanitize_url
from nameko_amqp_retry.backoff import BackoffPublisher as NamekoBackoffPublisher
from nameko_amqp_retry.events import EventHandler as RetryingEventHandler

from tilts_contracts import settings
from tilts_contracts.events import CONSUMERS, EVENTS

log = logging.getLogger(__name__)


def sanitize_urls(uri: str) -> str:
    """Every password of a `;`-separated AMQP_URI redacted, not only the first."""
    return ";".join(sanitize_url(part) for part in uri.split(";"))


# nameko logs AMQP_URI on each failed connection, redacting the first URL's password only
nameko_messaging.sanitize_url = sanitize_urls

DELIVERY_LIMIT = 5  # deliveries after the first; then the message is parked
DEAD_LETTERS = Exchange("tilts.dead-letters", type="direct", durable=True)
QUORUM = {"x-queue-type": "quorum"}
DEADLINE = "tilts-deadline"  # RPC header: when the caller stops waiting (Unix time)

# the names nameko and nameko-amqp-retry give the queues, and who consumes each
EVENT_QUEUE = re.compile(r"evt-[\w-]+--(?P<owner>\w+)\.\w+")
RPC_QUEUE = re.compile(r"rpc-(?P<owner>\w+)")
BACKOFF_QUEUE = re.compile(r"backoff--\d+ms")


def owned_arguments(owner: str) -> dict:
    """The arguments of a queue `owner` consumes: quorum, with its dead letters parked."""
    return {
        **QUORUM,
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": DEAD_LETTERS.name,
        "x-dead-letter-routing-key": owner,
    }


def arguments_for(name: str) -> dict | None:
    """What a durable Tilts queue called `name` is declared with (None: not ours)."""
    for pattern in (EVENT_QUEUE, RPC_QUEUE):
        found = pattern.fullmatch(name)
        if found:
            return owned_arguments(found.group("owner"))
    if BACKOFF_QUEUE.fullmatch(name):
        return dict(QUORUM)  # x-expires and its own dead-lettering come from the publisher
    return None


def quorum(queue: Queue, owner: str) -> Queue:
    queue.queue_arguments = {**(queue.queue_arguments or {}), **owned_arguments(owner)}
    return queue


def event_queue(event_type: str, consumer: str, config: dict) -> Queue:
    """`consumer`'s queue of `event_type`, as its `consumes` handler declares it."""
    producer, _ = EVENTS[event_type]
    queue = Queue(
        f"evt-{producer}-{event_type}--{consumer}.on_{event_type}",
        exchange=get_event_exchange(producer, config),
        routing_key=event_type,
        durable=True,
        auto_delete=False,
        exclusive=False,
    )
    return quorum(queue, consumer)


def rpc_queue(service: str, config: dict) -> Queue:
    queue = Queue(
        f"rpc-{service}",
        exchange=get_rpc_exchange(config),
        routing_key=f"{service}.*",
        durable=True,
    )
    return quorum(queue, service)


def dead_letter_queue(owner: str) -> Queue:
    """Where `owner`'s messages go after DELIVERY_LIMIT deliveries, to be parked."""
    return Queue(
        f"dead-{owner}",
        exchange=DEAD_LETTERS,
        routing_key=owner,
        durable=True,
        queue_arguments=dict(QUORUM),
    )


def declared_by(service: str, config: dict, has_rpc: bool = True) -> list[Queue]:
    """Every durable queue `service` declares when it starts: the queues of its events'
    consumers (so no event is dropped before they first run), its own event queues,
    its RPC queue and its dead-letter queue."""
    queues = [
        event_queue(event_type, consumer, config)
        for event_type, consumers in CONSUMERS.items()
        for consumer in consumers
        if service in (EVENTS[event_type][0], consumer)
    ]
    if has_rpc:
        queues += [rpc_queue(service, config), dead_letter_queue(service)]
    return queues


class QueueConsumer(nameko_messaging.QueueConsumer):
    """nameko's, except that an ack or requeue on a connection that has just died (a
    cluster node killed) is let go instead of killing the service: nameko 2.14 catches
    amqp's ConnectionError only, not the socket's. The broker hands the unacknowledged
    message to a consumer again, and handlers are idempotent."""

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except OSError as exc:
            log.warning("could not acknowledge a message, it comes again: %r", exc)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except OSError as exc:
            log.warning("could not requeue a message, it comes again: %r", exc)


class BackoffPublisher(NamekoBackoffPublisher):
    """nameko-amqp-retry's retry queues (`backoff--<ms>ms`), as quorum queues."""

    def make_queue(self, expiration):
        queue = super().make_queue(expiration)
        queue.queue_arguments = {**queue.queue_arguments, **QUORUM}
        return queue


class EventHandler(RetryingEventHandler):
    """A retrying, service-pool event handler whose queue is a quorum queue."""

    backoff_publisher = BackoffPublisher()
    queue_consumer = QueueConsumer()

    def setup(self):
        super().setup()
        quorum(self.queue, self.container.service_name)


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = QueueConsumer()

    def setup(self):
        super().setup()
        quorum(self.queue, self.container.service_name)


class Rpc(nameko_rpc.Rpc):
    """nameko's RPC entrypoint, on a quorum request queue with a delivery limit. A
    request delivered after its caller's deadline (it waited in this process's
    prefetch while the workers were busy or the process stopped) is dropped unrun."""

    rpc_consumer = RpcConsumer()

    def handle_message(self, body, message):
        deadline = (message.headers or {}).get(DEADLINE)
        if deadline is not None and time.time() > float(deadline):
            log.warning("dropping %s: its caller stopped waiting", self.method_name)
            self.rpc_consumer.queue_consumer.ack_message(message)
            return
        super().handle_message(body, message)


class ReplyListener(nameko_rpc.ReplyListener):
    """nameko's reply queue made exclusive: it goes with its connection and is declared
    afresh on whichever cluster node the caller reconnects to (nameko's is durable, and
    on a dead node it could neither be used nor declared again)."""

    queue_consumer = QueueConsumer()

    def setup(self):
        super().setup()
        self.queue.durable, self.queue.exclusive, self.queue.auto_delete = False, True, True


class MethodProxy(nameko_rpc.MethodProxy):
    def __init__(self, worker_ctx, *args, timeout: float, **options):
        self.timeout = timeout
        # declared (once per channel) so that in a vhost where no service has started yet
        # the request is undeliverable (503, no such service), not a channel error (500)
        exchange = get_rpc_exchange(worker_ctx.container.config)
        super().__init__(
            worker_ctx, *args, expiration=timeout, declare=[exchange], **options
        )  # expiration: a per-message TTL

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        return {**headers, DEADLINE: round(time.time() + self.timeout, 3)}


class ServiceProxy(nameko_rpc.ServiceProxy):
    def __getattr__(self, name):
        return MethodProxy(
            self.worker_ctx, self.service_name, name, self.reply_listener, **self.options
        )


class RpcProxy(nameko_rpc.RpcProxy):
    """nameko's RpcProxy for a caller that waits RPC_TIMEOUT seconds and then gives up
    (the gateway answers 503): its requests expire in RabbitMQ after that long and are
    dropped unrun if delivered later, so a request given up on never runs later."""

    rpc_reply_listener = ReplyListener()

    def setup(self):
        self.timeout = settings.number(self.container.config, "RPC_TIMEOUT")

    def get_dependency(self, worker_ctx):
        return ServiceProxy(
            worker_ctx,
            self.target_service,
            self.rpc_reply_listener,
            timeout=self.timeout,
            **self.options,
        )


class DeadLetters(Consumer):
    """Consumes the service's dead-letter queue: the method gets the message's body
    and `death`, where it died and why. A message that cannot be parked is requeued."""

    queue_consumer = QueueConsumer()

    def __init__(self, **kwargs):
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def setup(self):
        self.queue = dead_letter_queue(self.container.service_name)
        super().setup()

    def handle_message(self, body, message):
        try:
            self.container.spawn_worker(
                self,
                (body, death_of(message)),
                {},
                context_data=self.unpack_message_headers(message),
                handle_result=partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)


def death_of(message) -> dict:
    """Where a dead-lettered message was, why it died there, and what it was for."""
    deaths = (message.headers or {}).get("x-death") or [{}]
    last = deaths[0]  # RabbitMQ puts the latest death first
    queue = last.get("queue", "")
    routing_key = str((last.get("routing-keys") or [""])[0])
    return {
        "error": f"dead-lettered ({last.get('reason', 'unknown')}) from {queue}",
        "reason": str(last.get("reason", "unknown")),
        "queue": queue,
        "routing_key": routing_key,
        # the handler's name for an event (evt-...--notify.on_x), the method for an RPC
        "handler": queue.rsplit(".", 1)[-1] if EVENT_QUEUE.fullmatch(queue) else routing_key,
        "delivery_limit": DELIVERY_LIMIT,
    }


dead_letters = DeadLetters.decorator


class Broadcast(Consumer):
    """Every event of `event_types`, to every process of the service (each empties a
    cache of its own): one queue per process, bound to each producer's exchange,
    classic, exclusive and auto-deleted. It goes with its connection and is declared
    afresh on whichever node the process reconnects to; events sent meanwhile are
    missed, so what it keeps must expire by itself too. Never quorum: a quorum queue
    cannot be exclusive, and a durable one would outlive its process."""

    queue_consumer = QueueConsumer()

    def __init__(self, event_types: tuple[str, ...], **kwargs):
        unknown = [t for t in event_types if t not in EVENTS]
        if unknown:
            raise ValueError(f"no such events: {unknown}")
        self.event_types = tuple(event_types)
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def setup(self):
        config, service = self.container.config, self.container.service_name
        self.queue = broadcast_queue(service, self.method_name, self.event_types, config)
        super().setup()


def broadcast_queue(service: str, method: str, event_types, config: dict) -> Queue:
    """The queue of one process's `Broadcast` handler; no name `arguments_for` knows."""
    bindings = [
        binding(get_event_exchange(EVENTS[t][0], config), routing_key=t) for t in event_types
    ]
    return Queue(
        f"broadcast-{service}.{method}-{uuid.uuid4().hex}",
        bindings=bindings,
        durable=False,
        exclusive=True,
        auto_delete=True,
    )


broadcast = Broadcast.decorator
