"""What admins rely on from every service: probes that test their own pod, a refusal to
start with a secret anyone can read."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tilts_contracts import settings
from tilts_runtime import dependencies, probe
from tilts_runtime.consumer import RetryLater, consumes

ROOT = Path(__file__).parents[2]
PUBLIC = "https://tilts.example.lv"


@pytest.mark.parametrize(
    "secret, url, refused",
    [
        (settings.DEFAULTS["AUTH_SECRET"], PUBLIC, "development default"),
        ("CHANGE-ME-to-a-long-random-string-of-at-least-32-bytes", PUBLIC, "placeholder"),
        ("short-but-not-known", PUBLIC, "shorter than 32 bytes"),
        ("0f4c" * 16, PUBLIC, None),
        (settings.DEFAULTS["AUTH_SECRET"], "http://localhost:8000", None),
        (settings.DEFAULTS["AUTH_SECRET"], "http://127.0.0.1:34567", None),
        (settings.DEFAULTS["AUTH_SECRET"], "http://[::1]:8000", None),
    ],
)
def test_a_secret_anyone_can_read_is_refused_on_a_public_address(secret, url, refused):
    problem = settings.secret_problem({"AUTH_SECRET": secret, "PUBLIC_URL": url})
    if refused is None:
        assert problem is None
    else:
        assert refused in problem and url in problem and "\n" not in problem


@pytest.mark.parametrize("service", ["registry", "gateway"])
def test_a_service_will_not_start_with_the_development_secret_in_public(service):
    env = {
        **{k: v for k, v in os.environ.items() if k != "AUTH_SECRET"},
        "PUBLIC_URL": PUBLIC,
        "MONGO_URI": "mongodb://127.0.0.1:9/",  # refused before anything is reached
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:9/",
        "HTTP_PORT": "0",
    }
    nameko = str(Path(sys.executable).parent / "nameko")
    began = time.monotonic()
    run = subprocess.run(
        [nameko, "run", "--config", "deploy/nameko.yml", f"{service}.service"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and time.monotonic() - began < 30
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tilts: refusing to use AUTH_SECRET: it is the development default")


def test_liveness_is_the_age_of_this_process_heartbeat(tmp_path, monkeypatch, capsys):
    beat = tmp_path / "alive"
    config = {"HEARTBEAT_FILE": str(beat)}
    assert "no heartbeat" in probe.check_live(config, 60)
    heartbeat = dependencies.Heartbeat()
    heartbeat.path = str(beat)
    heartbeat.beat()
    assert probe.check_live(config, 60) is None
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert "120 s old" in probe.check_live(config, 60)
    heartbeat.beat()  # touching moves the time on, it does not wait for a change
    assert probe.check_live(config, 60) is None
    assert "not set" in probe.check_live({"HEARTBEAT_FILE": ""}, 60)

    monkeypatch.setenv("HEARTBEAT_FILE", str(beat))
    assert probe.main(["live"]) == 0
    os.utime(beat, (old, old))
    assert probe.main(["live", "--max-age", "90"]) == 1
    assert "workers stuck" in capsys.readouterr().err


def test_readiness_also_needs_the_broker_and_the_database(tmp_path):
    beat = tmp_path / "alive"
    beat.touch()
    config = {
        "HEARTBEAT_FILE": str(beat),
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:9/",
        "MONGO_URI": "mongodb://127.0.0.1:9/",
    }
    began = time.monotonic()
    assert "RabbitMQ" in probe.check_ready(config, 60)
    assert time.monotonic() - began < 10
    assert "no heartbeat" in probe.check_ready({**config, "HEARTBEAT_FILE": str(beat) + "x"}, 60)


class AwayStore:
    """A store whose database is unreachable, as during a MongoDB failover."""

    def park(self, message, reason, handler):
        from pymongo.errors import AutoReconnect

        raise AutoReconnect("no primary")


class Consumer:
    store = AwayStore()

    @consumes("pledges", "need_posted")
    def on_need_posted(self, env, payload):
        raise AssertionError("a malformed event never reaches the handler")


def test_an_event_that_cannot_be_parked_waits_in_rabbitmq_rather_than_being_dropped():
    """A malformed event is parked with its reason; with the database away it can be
    neither handled nor parked, and acking it would lose it: it is retried later."""
    with pytest.raises(RetryLater):
        Consumer().on_need_posted({"type": "need_posted", "payload": "not an object"})
