"""`tilts status`: which services answer, how deep their queues are, what is in flight."""

import re
from urllib.parse import quote, unquote, urlparse

import requests

from .common import api_session


def broker_nodes(amqp_uri: str) -> list:
    """Each node of AMQP_URI: one URI, or a failover list (`;`-separated as kombu and
    deploy/local/cluster.py write it, or `,`-separated)."""
    return [urlparse(part.strip()) for part in re.split(r"[;,]", amqp_uri) if part.strip()]


def rabbit_queues(amqp_uri: str) -> list[dict]:
    """Queue depths from RabbitMQ's management API (port 15672 on a node's host), asked
    of each node of AMQP_URI in turn until one answers; the last failure if none does."""
    failure: requests.RequestException | None = None
    for node in broker_nodes(amqp_uri):
        vhost = quote(node.path.lstrip("/") or "/", safe="")
        api = f"http://{node.hostname or 'localhost'}:15672/api/queues/{vhost}"
        auth = (unquote(node.username or "guest"), unquote(node.password or "guest"))
        try:
            reply = requests.get(api, auth=auth, timeout=10)
            reply.raise_for_status()
            return reply.json()
        except requests.RequestException as exc:
            failure = exc
    raise failure or requests.RequestException("AMQP_URI names no node")


def run(args, config) -> int:
    session, base = api_session(config, "admin")
    health = requests.get(f"{base}/health", timeout=15).json()
    print("services")
    for name, state in sorted(health["services"].items()):
        print(f"  {name:<10} {state}")
    print(f"  {'gateway':<10} ok")
    try:
        queues = rabbit_queues(config["AMQP_URI"])
        print("queues (ready / unacknowledged / consumers)")
        for q in sorted(queues, key=lambda q: q["name"]):
            if q["name"].startswith("rpc.reply"):
                continue
            print(
                f"  {q['name']:<70} {q.get('messages_ready', 0):>6} "
                f"{q.get('messages_unacknowledged', 0):>6} {q.get('consumers', 0):>4}"
            )
    except requests.RequestException as exc:
        print(f"queues: the RabbitMQ management API did not answer ({exc.__class__.__name__})")
    stats = session.get(f"{base}/api/admin/stats", timeout=30)
    if stats.status_code == 200:
        print_counts(stats.json())
    else:  # 503: no service answered; what was printed above still stands
        print(f"counts: none ({stats.json().get('error', {}).get('message', stats.status_code)})")
    return 0 if all(s == "ok" for s in health["services"].values()) else 1


def print_counts(stats: dict) -> None:
    """Every count the services gave; one left null by a service that is down says so."""
    down = stats.get("down") or []
    for group, counts in stats.items():
        if group == "down":
            continue
        if counts is None:
            print(f"{group}: unknown ({', '.join(down) or 'a service'} did not answer)")
        elif isinstance(counts, dict):
            shown = ", ".join(f"{k} {v}" for k, v in counts.items())
            print(f"{group}: {shown}")
        else:
            print(f"{group}: {counts}")


def register(sub) -> None:
    status = sub.add_parser("status", help="services up/down, queue depths, counts by status")
    status.set_defaults(run=run)
