"""Operating a scaled stack: each worker's liveness is its own, counters add up across
replicas, and a service that is down neither hides the gateway nor stalls health and
metrics one service after another."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration
PROBE = [sys.executable, "-m", "tilts_runtime.probe"]


def probe(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PROBE, *args], env=env, capture_output=True, text=True, timeout=60)


def handler_calls(running) -> int:
    """need_posted events matching handled, every worker's own count added up (what
    Prometheus does with the series of each process it scrapes)."""
    total = 0
    for key, port in running.metrics_ports.items():
        if key.split("-")[0] != "matching":
            continue
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=15).text
        found = re.search(
            r'tilts_event_handler_runs_total\{handler="on_need_posted",outcome="ok",'
            r'service="matching"\} ([\d.]+)',
            text,
        )
        total += int(float(found.group(1))) if found else 0
    return total


def test_two_matching_workers_each_probed_counted_and_a_service_down(own_stack, tmp_path):
    running = own_stack(workers={"matching": 2})
    beats = {}
    for n, key in enumerate(("matching", "matching-1")):  # each worker its own heartbeat
        beats[key] = str(tmp_path / f"{key}.alive")
        running.stop_service(key)
        running.start_service("matching", n, {"HEARTBEAT_FILE": beats[key]})
    deadline = time.monotonic() + 60
    while not all(os.path.exists(b) for b in beats.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    env = {k: v for k, v in running.env.items()}

    # liveness and readiness of each worker, from its own heartbeat
    for key, beat in beats.items():
        assert probe({**env, "HEARTBEAT_FILE": beat}, "live").returncode == 0, key
    assert probe({**env, "HEARTBEAT_FILE": beats["matching"]}, "ready").returncode == 0

    # needs handled by either worker: each counts its own, and their sum is every one
    coordinator = requests.Session()
    coordinator.headers["Authorization"] = f"Bearer {issue_token(running.secret, 'coordinator')}"
    before = handler_calls(running)
    for n in range(12):
        reply = coordinator.post(
            f"{running.url}/api/needs",
            json={
                "domain": "policy",
                "title": f"Skaitīšana {n}",
                "region": "latgale",
                "quantity": 1,
            },
        )
        assert reply.status_code == 201, reply.text
    deadline = time.monotonic() + 60
    while handler_calls(running) < before + 12 and time.monotonic() < deadline:
        time.sleep(1)
    scrapes = [handler_calls(running) for _ in range(4)]
    assert scrapes == [before + 12] * 4  # neither one worker's share nor jumping between them
    for key in beats:  # and both workers did some of it
        assert "handled need_posted" in (running.logs / f"{key}.log").read_text(), key

    # a hung worker fails its own liveness, though its sibling still answers for the service
    stuck = running.procs["matching-1"]
    stuck.send_signal(signal.SIGSTOP)
    try:
        time.sleep(10)
        hung = probe({**env, "HEARTBEAT_FILE": beats["matching-1"]}, "live", "--max-age", "8")
        assert hung.returncode == 1 and "workers stuck" in hung.stderr
        healthy = probe({**env, "HEARTBEAT_FILE": beats["matching"]}, "live", "--max-age", "8")
        assert healthy.returncode == 0
        assert probe(env, "matching").returncode == 0  # the old RPC probe could not tell
    finally:
        stuck.send_signal(signal.SIGCONT)

    # notify down: the gateway still lives, health and metrics wait once, not per service
    running.stop_service("notify")
    began = time.monotonic()
    live = requests.get(f"{running.url}/health/live", timeout=5)
    assert live.status_code == 200 and time.monotonic() - began < 1
    began = time.monotonic()
    health = requests.get(f"{running.url}/health", timeout=15)
    assert health.status_code == 503 and health.json()["services"]["notify"] == "down"
    assert health.json()["services"]["matching"] == "ok"
    assert time.monotonic() - began < 5
    began = time.monotonic()
    metrics = requests.get(f"{running.url}/metrics", timeout=15).text
    assert time.monotonic() - began < 5
    assert 'tilts_service_up{service="notify"} 0.0' in metrics
    assert 'tilts_service_up{service="matching"} 1.0' in metrics
