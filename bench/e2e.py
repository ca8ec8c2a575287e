"""End-to-end benchmark of a local stack: need -> email latency at a fixed rate, needs
matched and emailed per second with 1 and 2 matching workers (needs posted through the
gateway as fast as 8 clients can), gateway GET throughput, and the raw ceilings of the
storage and the broker measured in the same run. Prints a table; never a test.

    .venv/bin/python bench/e2e.py [--rate 20] [--seconds 10] [--burst 300]
"""

import argparse
import email
import email.policy
import os
import random
import re
import statistics
import string
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from stack import Stack, free_port  # noqa: E402
from testbed import make_vhost, require_management_api, start_nx  # noqa: E402

from tilts_contracts.settings import from_env  # noqa: E402
from tilts_contracts.tokens import issue_token  # noqa: E402

SECRET = "bench-secret-of-at-least-thirty-two-bytes"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def read_mail(path: Path) -> tuple[str, str]:
    """An email's decoded Subject and its To address."""
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    return str(msg["Subject"] or ""), str(msg["To"].addresses[0].addr_spec if msg["To"] else "")


def coordinator() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(SECRET, 'coordinator')}"
    return session


def bench_organisation(url: str, run: str, recipient: str) -> None:
    """A verified organisation at `recipient` with an offer no bench can exhaust."""
    session = coordinator()
    org = session.post(
        f"{url}/api/organisations",
        json={
            "name": f"Bench biedrība {run}",
            "email": recipient,
            "domains": ["social"],
            "regions": ["riga"],
        },
    ).json()
    session.post(f"{url}/api/organisations/{org['id']}/verify").raise_for_status()
    session.post(
        f"{url}/api/offers",
        json={
            "organisation_id": org["id"],
            "domain": "social",
            "title": "Bench offer",
            "capacity": 100_000,
            "regions": ["riga"],
        },
    ).raise_for_status()


def need_to_email(url: str, mail_dir: Path, rate: float, seconds: float) -> list[float]:
    """Post needs at `rate`/s; the time from each POST to the email about that very need.

    Each need has its own title (`bench <run> <n>`), which the email's subject carries, and
    the bench organisation its own address: an email is paired with its need by both, so
    the organisation's own verification mail, a lost or a late one shifts nothing.
    """
    run = run_name()
    recipient = f"bench-{run}@example.org"
    bench_organisation(url, run, recipient)
    session = coordinator()
    title = re.compile(rf"\bbench {run} (\d+) \(")
    sent: dict[int, float] = {}
    began = time.perf_counter()
    for n in range(int(rate * seconds)):
        target = began + n / rate
        time.sleep(max(0.0, target - time.perf_counter()))
        sent[n] = time.perf_counter()
        session.post(
            f"{url}/api/needs",
            json={
                "domain": "social",
                "title": f"bench {run} {n}",
                "region": "riga",
                "quantity": 1,
            },
        )
    arrivals: dict[int, float] = {}
    seen: set[Path] = set()
    offset = time.time() - time.perf_counter()
    deadline = time.perf_counter() + 120
    while len(arrivals) < len(sent) and time.perf_counter() < deadline:
        for path in set(mail_dir.glob("*.eml")) - seen:
            seen.add(path)
            subject, to = read_mail(path)
            found = title.search(subject)
            if to == recipient and found and int(found.group(1)) in sent:
                n = int(found.group(1))  # a second email for one need keeps the first
                arrivals.setdefault(n, os.stat(path).st_mtime_ns / 1e9 - offset)
        time.sleep(0.05)
    return [(arrivals[n] - sent[n]) * 1000 for n in sorted(arrivals)]


def mails_to(mail_dir: Path, recipient: str, seen: dict[Path, str]) -> int:
    """How many emails in `mail_dir` went to `recipient` (reading each file once)."""
    for path in mail_dir.glob("*.eml"):
        if path not in seen:
            seen[path] = read_mail(path)[1]
    return sum(1 for to in seen.values() if to == recipient)


def burst_throughput(workers: int, needs: int, var: Path) -> tuple[float, float]:
    """Needs matched, and emailed, per second end to end by a stack with `workers` matching
    processes: `needs` posted through the gateway by 8 clients at once, timed from the
    first post to the last proposal stored (and the last email received)."""
    amqp, drop = make_vhost()
    mongo, nx = start_nx(var / "nx")
    port, smtp_port = free_port(), free_port()
    stack = Stack(stack_env(amqp, mongo, port), var, workers={"matching": workers})
    try:
        stack.start_smtp(smtp_port)
        stack.start_services()
        stack.wait_healthy(120)
        url = stack.env["PUBLIC_URL"]
        run = run_name()
        recipient = f"burst-{run}@example.org"
        bench_organisation(url, run, recipient)
        seen: dict[Path, str] = {}
        waited = time.perf_counter() + 60
        while mails_to(stack.mail_dir, recipient, seen) < 1:  # its verification mail
            if time.perf_counter() > waited:
                raise RuntimeError("the organisation's verification email never came")
            time.sleep(0.1)
        matches = MongoClient(mongo).tilts_matching.matches

        refused: list[str] = []

        def post(part: range) -> None:
            session = coordinator()
            for n in part:
                reply = session.post(
                    f"{url}/api/needs",
                    json={
                        "domain": "social",
                        "title": f"burst {run} {n}",
                        "region": "riga",
                        "quantity": 1,
                    },
                )
                if reply.status_code != 201:  # the run cannot finish: say why, at once
                    refused.append(f"need {n}: {reply.status_code} {reply.text[:200]}")
                    return

        clients = [threading.Thread(target=post, args=(range(k, needs, 8),)) for k in range(8)]
        began = time.perf_counter()
        for client in clients:
            client.start()
        matched = mailed = None
        deadline = began + 600
        while (matched is None or mailed is None) and time.perf_counter() < deadline:
            if refused:
                raise RuntimeError(f"{workers} worker(s): the gateway refused {refused[0]}")
            if matched is None and matches.count_documents({}) >= needs:
                matched = time.perf_counter() - began
            if mailed is None and mails_to(stack.mail_dir, recipient, seen) >= needs + 1:
                mailed = time.perf_counter() - began
            time.sleep(0.05)
        for client in clients:
            client.join()
        if matched is None or mailed is None:
            raise RuntimeError(f"{workers} worker(s): not every need was matched and mailed")
        return needs / matched, needs / mailed
    finally:
        stack.stop()
        nx.terminate()
        drop()


def run_name() -> str:
    """Letters only: a title like 'burst 607061 10' reads as a Latvian phone number to
    the privacy guard, which refuses the need (as it should)."""
    return "".join(random.choices(string.ascii_lowercase, k=6))


def stack_env(amqp: str, mongo: str, port: int) -> dict:
    return {
        **os.environ,
        **from_env({}),
        "AMQP_URI": amqp,
        "MONGO_URI": mongo,
        "HTTP_PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AUTH_SECRET": SECRET,
    }


def get_throughput(url: str, seconds: float = 5, threads: int = 8) -> float:
    token = issue_token(SECRET, "coordinator")
    count = [0]
    stop = time.perf_counter() + seconds

    def worker():
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        while time.perf_counter() < stop:
            session.get(f"{url}/api/offers", params={"limit": 20})
            count[0] += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return count[0] / seconds


def storage_ceiling(mongo: str, n: int = 2000) -> float:
    coll = MongoClient(mongo).bench.raw
    began = time.perf_counter()
    for i in range(n):
        coll.insert_one({"_id": i, "v": i})
        coll.find_one({"_id": i})
    return n / (time.perf_counter() - began)


def broker_ceiling(amqp: str, n: int = 3000) -> float:
    exchange = Exchange("bench", type="direct", durable=False)
    queue = Queue("bench", exchange, routing_key="bench", durable=False, auto_delete=True)
    with Connection(amqp) as conn:
        producer = conn.Producer(serializer="json")
        received = [0]
        began = time.perf_counter()
        with conn.Consumer(
            queue,
            callbacks=[lambda body, msg: (msg.ack(), received.__setitem__(0, received[0] + 1))],
        ):
            for i in range(n):
                producer.publish({"i": i}, exchange=exchange, routing_key="bench", declare=[queue])
            while received[0] < n:
                conn.drain_events(timeout=10)
        return n / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--burst", type=int, default=300, help="needs per burst run (0: no burst runs)"
    )
    args = parser.parse_args()
    require_management_api()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        amqp, drop = make_vhost()
        mongo, nx = start_nx(var / "nx")
        port, smtp_port = free_port(), free_port()
        env = stack_env(amqp, mongo, port)
        stack = Stack(env, var)
        try:
            stack.start_smtp(smtp_port)
            stack.start_services()
            stack.wait_healthy(120)
            url = env["PUBLIC_URL"]
            latencies = need_to_email(url, stack.mail_dir, args.rate, args.seconds)
            gets = get_throughput(url)
            storage = storage_ceiling(mongo)
            broker = broker_ceiling(amqp)
        finally:
            stack.stop()
            nx.terminate()
            drop()
        bursts = {  # --burst 0: the latency run and the ceilings only
            w: burst_throughput(w, args.burst, var / f"burst-{w}") for w in (1, 2) if args.burst
        }
    rows = [
        (f"need -> email p50 ms at {args.rate:g} needs/s", statistics.median(latencies)),
        (f"need -> email p95 ms at {args.rate:g} needs/s", percentile(latencies, 95)),
        (f"need -> email p99 ms at {args.rate:g} needs/s", percentile(latencies, 99)),
        ("emails received / needs posted", len(latencies) / (args.rate * args.seconds)),
        *(
            (f"needs {what}/s end to end, {w} matching worker{'s' * (w > 1)}", rates[i])
            for w, rates in bursts.items()
            for i, what in enumerate(("matched", "emailed"))
        ),
        ("gateway GET /api/offers per s (8 clients)", gets),
        ("raw storage insert+find per s (NX-27017)", storage),
        ("raw broker publish+consume msgs per s", broker),
    ]
    print(f"{'measure':<48}{'value':>12}")
    for name, value in rows:
        print(f"{name:<48}{value:>12.1f}")


if __name__ == "__main__":
    main()
