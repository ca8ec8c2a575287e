"""A request that kills its service on every delivery is parked, not redelivered forever.

The service runs as its own process, restarted whenever it dies as `make run`'s
supervisor does, on a real RabbitMQ vhost and NX-27017. Its RPC queue is a quorum queue
with a delivery limit: after DELIVERY_LIMIT redeliveries RabbitMQ dead-letters the
request, and the service parks it with the reason, where admins list parked events.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo import MongoClient

from tilts_runtime.queues import DELIVERY_LIMIT

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
from stack import NAMEKO_CONFIG  # noqa: E402
from testbed import make_vhost, start_nx  # noqa: E402

pytestmark = pytest.mark.integration


class Restarted:
    """Runs the poison service, starting it again each time it dies."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.deaths = 0
        self.proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        argv = [str(Path(sys.executable).parent / "nameko"), "run", "--config"]
        argv += [str(NAMEKO_CONFIG), "poison_service"]
        while not self.stopping.is_set():
            with open(self.log, "ab") as out:
                self.proc = subprocess.Popen(
                    argv,
                    cwd=Path(__file__).parent / "poison",
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            if self.proc.wait() == 70:
                self.deaths += 1

    def stop(self) -> None:
        self.stopping.set()
        if self.proc is not None:
            self.proc.terminate()
        self.thread.join(20)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def poisoned(tmp_path):
    from tilts_contracts import settings
    from tilts_contracts.settings import database_name

    vhost, drop_vhost = make_vhost()
    mongo, nx = start_nx(tmp_path / "nx")
    env = {**os.environ, **settings.from_env({}), "AMQP_URI": vhost}
    env |= {"MONGO_URI": mongo, "AUTH_SECRET": "poison-test-secret-of-32-bytes-or-more"}
    service = Restarted(env, tmp_path / "poison.log")
    service.thread.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": vhost, "serializer": "json"}, timeout=60) as rpc:
            with MongoClient(mongo) as client:
                yield service, rpc.poison_target, client[database_name("poison_target")]
    finally:
        service.stop()
        nx.terminate()
        nx.wait(10)
        drop_vhost()


def answer(target, text: str) -> str | None:
    try:
        return target.echo(text)
    except UnknownService:  # not started yet: its queue is not there
        return None


def test_a_request_that_kills_its_service_is_parked_with_the_reason(poisoned, wait_until):
    service, target, db = poisoned
    assert wait_until(lambda: answer(target, "healthy"), bool, timeout=60) == "healthy"
    target.echo.call_async("poison")  # nobody waits for this answer

    # read from its database: a request sent while it keeps dying would die with it
    wait_until(lambda: db.parked_events.count_documents({}), bool, timeout=120)
    parked = target.parked_events(10)  # what admins are shown
    assert len(parked) == 1, parked
    assert parked[0]["event"] == {"args": ["poison"], "kwargs": {}}
    assert parked[0]["handler"] == "poison_target.echo"
    assert parked[0]["reason"]["reason"] == "delivery_limit"
    assert parked[0]["reason"]["queue"] == "rpc-poison_target"
    # the first delivery and DELIVERY_LIMIT more, each of which killed the service
    assert service.deaths == DELIVERY_LIMIT + 1
    assert target.echo("served again") == "served again"
    assert service.deaths == DELIVERY_LIMIT + 1  # and it is never delivered again
