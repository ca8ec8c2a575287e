"""deploy/rabbitmq/rabbitmq_users.py against a real RabbitMQ node of the test's own.

The node (own name, ports and data, with the management plugin) is started here, so
the machine's shared broker never gets a user it did not have.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import amqp
import pytest
import requests
from stack import free_port, wait_for_port
from testbed import PrivateRabbit

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "deploy/rabbitmq/rabbitmq_users.py"
PASSWORD, MONITOR_PASSWORD = "a1" * 16, "b2" * 16

pytestmark = pytest.mark.skipif(
    not PrivateRabbit.available(), reason="needs RabbitMQ's server scripts"
)


class ManagedRabbit(PrivateRabbit):
    """A private node with the management API on a port of its own."""

    def __init__(self, var: Path):
        super().__init__(var)
        self.api = f"http://127.0.0.1:{free_port()}"

    @property
    def env(self) -> dict:
        return {**super().env, "RABBITMQ_ENABLED_PLUGINS": "rabbitmq_management"}

    def start(self, timeout: float = 120) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        port = self.api.rsplit(":", 1)[1]
        (self.var / "rabbitmq.conf").write_text(
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {port}\n"
            "collect_statistics_interval = 500\n"
        )
        super().start(timeout)
        wait_for_port("127.0.0.1", int(port), timeout, self.proc)


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory):
    node = ManagedRabbit(tmp_path_factory.mktemp("rabbit"))
    node.start()
    yield node
    node.stop()


def provision(rabbit, **settings) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "RABBITMQ_API": rabbit.api,
        "RABBITMQ_ADMIN_USER": "guest",
        "RABBITMQ_ADMIN_PASSWORD": "guest",
        "RABBITMQ_VHOST": "tilts",
        "RABBITMQ_USER": "tilts",
        "RABBITMQ_PASSWORD": PASSWORD,
        **settings,
    }
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True)


def admin(rabbit, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, rabbit.api + path, auth=("guest", "guest"), **kwargs)


def connect(rabbit, user: str, secret: str, vhost: str) -> amqp.Connection:
    conn = amqp.Connection(
        f"127.0.0.1:{rabbit.port}", userid=user, password=secret, virtual_host=vhost
    )
    conn.connect()
    return conn


def queue_length(rabbit, queue: str, auth) -> int:
    """The queue's length as the management API reports it, once its first figures came."""
    deadline = time.monotonic() + 15
    while True:
        answer = requests.get(f"{rabbit.api}/api/queues/tilts/{queue}", auth=auth)
        answer.raise_for_status()
        if "messages" in answer.json() or time.monotonic() > deadline:
            return answer.json()["messages"]
        time.sleep(0.3)


def test_the_services_user_works_in_its_vhost_and_nowhere_else(rabbit):
    run = provision(rabbit)
    assert run.returncode == 0, run.stderr
    with connect(rabbit, "tilts", PASSWORD, "tilts") as conn:
        channel = conn.channel()
        channel.queue_declare("rpc-matching")
        channel.basic_publish(amqp.Message("hello"), routing_key="rpc-matching")
        assert channel.basic_get("rpc-matching", no_ack=True).body == "hello"
    with pytest.raises(amqp.exceptions.NotAllowed):  # access to vhost '/' refused
        connect(rabbit, "tilts", PASSWORD, "/")
    # no management tag: not the UI, not the HTTP API
    assert requests.get(f"{rabbit.api}/api/overview", auth=("tilts", PASSWORD)).status_code == 401


def test_a_user_from_an_older_setup_loses_its_administrator_rights(rabbit):
    body = {"password": "old-password", "tags": "administrator"}
    admin(rabbit, "PUT", "/api/users/tilts", json=body).raise_for_status()
    everything = {"configure": ".*", "write": ".*", "read": ".*"}
    admin(rabbit, "PUT", "/api/permissions/%2F/tilts", json=everything).raise_for_status()

    assert provision(rabbit).returncode == 0
    assert admin(rabbit, "GET", "/api/users/tilts").json()["tags"] in ("", [])
    held = admin(rabbit, "GET", "/api/users/tilts/permissions").json()
    assert [p["vhost"] for p in held] == ["tilts"]
    with pytest.raises(amqp.exceptions.AccessRefused):
        connect(rabbit, "tilts", "old-password", "tilts")


def test_the_monitoring_user_reads_queue_lengths_and_nothing_more(rabbit):
    run = provision(
        rabbit, RABBITMQ_MONITOR_USER="keda", RABBITMQ_MONITOR_PASSWORD=MONITOR_PASSWORD
    )
    assert run.returncode == 0, run.stderr
    queue = "evt-pledges-offer_created--matching.on_offer_created"
    with connect(rabbit, "tilts", PASSWORD, "tilts") as conn:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)
        for n in range(3):
            channel.basic_publish(amqp.Message(str(n)), routing_key=queue)

    keda = ("keda", MONITOR_PASSWORD)
    listed = requests.get(f"{rabbit.api}/api/queues/tilts", auth=keda)
    assert listed.status_code == 200 and queue in [q["name"] for q in listed.json()]
    assert queue_length(rabbit, queue, keda) == 3  # what KEDA compares with its target
    # it cannot publish (an RPC to a backend) nor take messages, over HTTP or AMQP
    message = {"properties": {}, "routing_key": "rpc-matching", "payload": "x"}
    posted = requests.post(
        f"{rabbit.api}/api/exchanges/tilts/amq.default/publish",
        json={**message, "payload_encoding": "string"},
        auth=keda,
    )
    assert "403 ACCESS_REFUSED" in posted.text  # RabbitMQ wraps it in a 400
    got = requests.post(
        f"{rabbit.api}/api/queues/tilts/{queue}/get",
        json={"count": 1, "ackmode": "ack_requeue_false", "encoding": "auto"},
        auth=keda,
    )
    assert got.status_code in (401, 403)
    with connect(rabbit, "keda", MONITOR_PASSWORD, "tilts") as conn:
        with pytest.raises(amqp.exceptions.AccessRefused):
            conn.channel().basic_get(queue, no_ack=True)
    assert queue_length(rabbit, queue, ("guest", "guest")) == 3


def test_a_weak_password_is_refused_before_anything_changes(rabbit):
    for weak in ("short", "CHANGE-ME-CHANGE-ME-CHANGE-ME", "p@ss/word#with-uri-characters"):
        run = provision(rabbit, RABBITMQ_USER="weak", RABBITMQ_PASSWORD=weak)
        assert run.returncode == 1
        assert "RABBITMQ_PASSWORD" in run.stderr and "openssl rand -hex 32" in run.stderr
    assert admin(rabbit, "GET", "/api/users/weak").status_code == 404


def test_a_wrong_administrator_password_says_so(rabbit):
    run = provision(rabbit, RABBITMQ_ADMIN_PASSWORD="wrong", RABBITMQ_WAIT_SECONDS="0")
    assert run.returncode == 1 and "401" in run.stderr
