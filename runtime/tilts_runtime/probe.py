"""Container probes for the backend services, and the heartbeat they check.

python -m tilts_runtime.probe live [--max-age SECONDS]
    exit 0 while this container's own process still runs its workers: the
    HEARTBEAT_FILE it touches every few seconds is fresh. Nothing else is asked, so
    a broker or database outage never gets healthy processes restarted.
python -m tilts_runtime.probe ready [--max-age SECONDS]
    live, and RabbitMQ (AMQP_URI) and MongoDB (MONGO_URI) answer from here.
python -m tilts_runtime.probe <service>
    some worker of <service> answers its health RPC (any replica may answer: for
    `tilts status` and scripts, not for a container's own probe).
"""

import argparse
import os
import sys
import time

from tilts_contracts import settings

HEARTBEAT_SECONDS = 5  # how often a process touches its file (Operable.heartbeat)
MAX_AGE = 60.0  # a file older than this: the process no longer runs its timers


def heartbeat_age(path: str, now: float | None = None) -> float | None:
    """Seconds since `path` was touched, or None when it does not exist."""
    try:
        touched = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    return (time.time() if now is None else now) - touched


def check_live(config: dict, max_age: float) -> str | None:
    """What is wrong with this container's process, or None."""
    path = config["HEARTBEAT_FILE"]
    if not path:
        return "HEARTBEAT_FILE is not set, so there is no heartbeat to check"
    age = heartbeat_age(path)
    if age is None:
        return f"no heartbeat at {path} (not started yet, or not a Tilts backend)"
    if age > max_age:
        return f"heartbeat {path} is {age:.0f} s old (limit {max_age:.0f} s): workers stuck"
    return None


def check_ready(config: dict, max_age: float) -> str | None:
    """What keeps this container from working, or None: its process, broker, database."""
    problem = check_live(config, max_age)
    if problem:
        return problem
    from kombu import Connection
    from pymongo import MongoClient

    try:
        with Connection(config["AMQP_URI"], connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"RabbitMQ does not answer: {exc.__class__.__name__}: {exc}"
    client = MongoClient(config["MONGO_URI"], serverSelectionTimeoutMS=3000)
    try:
        client.admin.command("ping")
    except Exception as exc:  # noqa: BLE001
        return f"MongoDB does not answer: {exc.__class__.__name__}"
    finally:
        client.close()
    return None


def check_service(config: dict, service: str) -> str | None:
    """Whether some worker of `service` answers its health RPC within 5 seconds."""
    from nameko.standalone.rpc import ClusterRpcProxy

    rpc_config = {"AMQP_URI": config["AMQP_URI"], "serializer": "json"}
    try:
        with ClusterRpcProxy(rpc_config, timeout=5) as cluster:
            state = getattr(cluster, service).health()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        return f"{exc.__class__.__name__}: {exc}"
    return None if state.get("status") == "ok" else f"reports {state.get('status')}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tilts_runtime.probe", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("what", help="live, ready, or a service name")
    parser.add_argument("--max-age", type=float, default=MAX_AGE, help="heartbeat limit (s)")
    args = parser.parse_args(argv)
    config = settings.from_env()
    if args.what == "live":
        problem = check_live(config, args.max_age)
    elif args.what == "ready":
        problem = check_ready(config, args.max_age)
    else:
        problem = check_service(config, args.what)
    if problem:
        print(f"{args.what}: {problem}", file=sys.stderr)
        return 1
    print(f"{args.what}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
