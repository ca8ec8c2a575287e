"""Turn the classic queues an earlier Tilts left in RabbitMQ into quorum queues, keeping
every message in them.

RabbitMQ cannot change a queue's type, and a service of this version refuses to start on
a classic queue, so: stop the services (RabbitMQ and the databases keep running), run
this, start the services of the new version. For each classic Tilts queue it binds a
temporary quorum queue in its place (so whatever is still published lands there), moves
the messages over, declares the queue again as the runtime does (tilts_runtime.queues)
and moves them back. Messages waiting in a retry (`backoff--<ms>ms`) queue are handed
back to the queue they came from at once. A run that stopped half-way is finished by
the next. It refuses to touch a queue that still has consumers.

Settings from the environment: AMQP_URI (the vhost is its path), RABBITMQ_API (default
http://<the broker's host>:15672), and RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD for
the management API (default: AMQP_URI's user, which may lack the management tag).
Run it from a checkout: `.venv/bin/python deploy/rabbitmq/migrate_to_quorum.py`.
"""

import os
import sys
from contextlib import contextmanager
from urllib.parse import quote, unquote, urlparse

import amqp
import requests
from kombu import Connection

from tilts_runtime.queues import BACKOFF_QUEUE, QUORUM, arguments_for

TEMPORARY = ".migrating"  # suffix of the queue that holds a queue's messages meanwhile
MOVER = "tilts.migration"  # a fanout exchange: delivers to one queue, keeps routing keys


class Refused(Exception):
    """Something the operator must do first; said in one line."""


class Management:
    """The few management API calls the migration needs, on one vhost."""

    def __init__(self, amqp_uri: str, environ=os.environ):
        first = urlparse(amqp_uri.split(";")[0])
        self.vhost = quote(unquote(first.path[1:]) or "/", safe="")
        self.api = environ.get("RABBITMQ_API") or f"http://{first.hostname}:15672"
        user = environ.get("RABBITMQ_ADMIN_USER") or unquote(first.username or "guest")
        password = environ.get("RABBITMQ_ADMIN_PASSWORD") or unquote(first.password or "guest")
        self.session = requests.Session()
        self.session.auth = (user, password)

    def get(self, path: str) -> list[dict]:
        reply = self.session.get(f"{self.api.rstrip('/')}/api/{path}", timeout=30)
        reply.raise_for_status()
        return reply.json()

    def queues(self) -> dict[str, dict]:
        return {q["name"]: q for q in self.get(f"queues/{self.vhost}")}

    def bindings(self, queue: str) -> list[dict]:
        found = self.get(f"queues/{self.vhost}/{quote(queue, safe='')}/bindings")
        return [b for b in found if b["source"]]  # not the default exchange's


def move(channel, source: str, target: str, to_default_exchange: bool = False) -> int:
    """Move every message of `source` to `target`, each confirmed before it is acked, so
    a crash at any point leaves it in one of them (or, at worst, in both)."""
    if not to_default_exchange:
        channel.queue_bind(target, MOVER)
    moved = 0
    while (message := channel.basic_get(source, no_ack=False)) is not None:
        copy = amqp.Message(message.body, **message.properties)
        key = message.delivery_info["routing_key"]  # the RPC method, the event type...
        if to_default_exchange:  # a retry's routing key is the queue it goes back to
            channel.basic_publish_confirm(copy, exchange="", routing_key=key)
        else:
            channel.basic_publish_confirm(copy, exchange=MOVER, routing_key=key)
        channel.basic_ack(message.delivery_tag)
        moved += 1
    if not to_default_exchange:
        channel.queue_unbind(target, MOVER)
    return moved


def rebind(channel, bindings: list[dict], queue: str, bind: bool) -> None:
    for b in bindings:
        do = channel.queue_bind if bind else channel.queue_unbind
        do(queue, b["source"], b["routing_key"], arguments=b.get("arguments") or {})


def empty_and_delete(channel, queue: str, target: str, **how) -> int:
    """Move `queue`'s messages to `target` and delete it, again if more arrived."""
    moved = 0
    while True:
        moved += move(channel, queue, target, **how)
        # no longer bound, so nothing more arrives (quorum queues refuse if_empty)
        if channel.queue_declare(queue, passive=True).message_count == 0:
            channel.queue_delete(queue)
            return moved


@contextmanager
def confirming(connection):
    """A channel of its own for each step: RabbitMQ 3.10's channel remembers a deleted
    classic queue and fails to publish to the quorum queue that takes its name."""
    channel = connection.channel()
    channel.confirm_select()
    try:
        yield channel
    finally:
        channel.close()


def migrate_queue(connection, name: str, bindings: list[dict]) -> int:
    """Classic `name` becomes a quorum queue with the same bindings and messages."""
    temporary = name + TEMPORARY
    with confirming(connection) as channel:
        channel.queue_declare(temporary, durable=True, auto_delete=False, arguments=QUORUM)
        rebind(channel, bindings, temporary, bind=True)  # publishers now reach it...
        rebind(channel, bindings, name, bind=False)  # ...and no longer the classic queue
        empty_and_delete(channel, name, temporary)
    return finish(connection, name, temporary, bindings)


def finish(connection, name: str, temporary: str, bindings: list[dict]) -> int:
    """Declare `name` as this version does, bound as before, and move `temporary` into it."""
    with confirming(connection) as channel:
        arguments = arguments_for(name)
        channel.queue_declare(name, durable=True, auto_delete=False, arguments=arguments)
        rebind(channel, bindings, name, bind=True)  # an event may reach both for a moment:
        rebind(channel, bindings, temporary, bind=False)  # consumers drop duplicates
        return empty_and_delete(channel, temporary, name)


def migrate(amqp_uri: str, api: Management, say=print) -> int:
    """Migrate every classic Tilts queue of the vhost; how many queues were changed."""
    queues = api.queues()
    classic = sorted(
        name
        for name, q in queues.items()
        if arguments_for(name) is not None and q.get("type", "classic") == "classic"
    )
    leftover = sorted(n[: -len(TEMPORARY)] for n in queues if n.endswith(TEMPORARY))
    with Connection(amqp_uri, connect_timeout=10) as conn:
        connection = conn.connection
        with confirming(connection) as channel:
            # counted now, over AMQP: the management API's figures are seconds old
            busy = [n for n in classic if channel.queue_declare(n, passive=True).consumer_count]
            if busy:
                raise Refused(f"stop the services first: {', '.join(busy)} have consumers")
            channel.exchange_declare(MOVER, "fanout", durable=False, auto_delete=False)
        for name in [n for n in leftover if n not in classic]:  # a run stopped half-way
            moved = finish(connection, name, name + TEMPORARY, api.bindings(name + TEMPORARY))
            say(f"{name}: finished an earlier run, {moved} messages moved back")
        for name in [n for n in classic if BACKOFF_QUEUE.fullmatch(n)]:
            with confirming(connection) as channel:
                moved = empty_and_delete(channel, name, "", to_default_exchange=True)
            say(f"{name}: {moved} waiting retries handed back to their queues; removed")
        for name in [n for n in classic if not BACKOFF_QUEUE.fullmatch(n)]:
            moved = migrate_queue(connection, name, api.bindings(name))
            say(f"{name}: classic -> quorum, {moved} messages kept")
        with confirming(connection) as channel:
            channel.exchange_delete(MOVER)
    return len(classic)


def main() -> int:
    amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    try:
        changed = migrate(amqp_uri, Management(amqp_uri))
    except Refused as exc:
        print(f"migrate_to_quorum: {exc}", file=sys.stderr)
        return 1
    print(f"migrate_to_quorum: {changed} classic queues migrated; start the services")
    return 0


if __name__ == "__main__":
    sys.exit(main())
