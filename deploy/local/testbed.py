"""Throw-away infrastructure for tests: an NX-27017 server, a RabbitMQ vhost."""

import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import requests
from stack import free_port, wait_for_port

RABBIT_API = "http://guest:guest@127.0.0.1:15672/api"
NO_MANAGEMENT_API = (
    "RabbitMQ's management API does not answer on 127.0.0.1:15672 (each test run and "
    "benchmark makes a throw-away vhost through it): enable it with "
    "`rabbitmq-plugins enable rabbitmq_management`, and start RabbitMQ with "
    "`rabbitmq-server -detached` if it is not running"
)


class NoManagementAPI(RuntimeError):
    """RabbitMQ's management plugin is off (or RabbitMQ is): one line says how to fix it."""

    def __init__(self):
        super().__init__(NO_MANAGEMENT_API)


def start_nx(var: Path) -> tuple[str, subprocess.Popen]:
    """An NX-27017 server on a free port with its own data, pid and log files."""
    var.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "nx-27017"),
            "--data-dir",
            str(var / "data"),
            "--port",
            str(port),
            "--pid-file",
            str(var / "nx.pid"),
            "--log-file",
            str(var / "nx.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    wait_for_port("127.0.0.1", port, 30, proc)
    return f"mongodb://127.0.0.1:{port}/", proc


def require_management_api() -> None:
    """Exit with the one line saying how to enable the management API if it is off:
    a benchmark checks before it spends minutes filling a database."""
    try:
        requests.get(f"{RABBIT_API}/overview", timeout=10)
    except requests.ConnectionError:
        raise SystemExit(NO_MANAGEMENT_API) from None


def make_vhost():
    """A throw-away RabbitMQ vhost: its AMQP URI and a function that deletes it."""
    name = quote(f"tilts-test-{uuid.uuid4().hex[:8]}", safe="")
    try:
        requests.put(f"{RABBIT_API}/vhosts/{name}", timeout=10).raise_for_status()
    except requests.ConnectionError as exc:
        raise NoManagementAPI() from exc
    requests.put(
        f"{RABBIT_API}/permissions/{name}/guest",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=10,
    ).raise_for_status()

    def drop():
        requests.delete(f"{RABBIT_API}/vhosts/{name}", timeout=10)

    return f"amqp://guest:guest@127.0.0.1:5672/{name}", drop


class PrivateRabbit:
    """A RabbitMQ node of a test's own (own name, ports, data, Erlang cookie), so a fault
    test can stop and restart a broker without touching the one the machine shares."""

    SCRIPTS = Path("/usr/lib/rabbitmq/bin")  # Debian's wrapper in /usr/sbin would su

    def __init__(self, var: Path):
        self.var = var
        self.node = f"tilts-{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        self.proc: subprocess.Popen | None = None
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @classmethod
    def available(cls) -> bool:
        return (cls.SCRIPTS / "rabbitmq-server").exists()

    @property
    def env(self) -> dict:
        import os

        return {
            **os.environ,
            "HOME": str(self.var),  # where the node's Erlang cookie lives
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.var / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.var / "log"),
            "RABBITMQ_PID_FILE": str(self.var / "rabbit.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.var / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.var / "rabbitmq"),
        }

    def start(self, timeout: float = 120) -> None:
        """Start the node (on the data of any earlier run of it) and wait for AMQP."""
        self.var.mkdir(parents=True, exist_ok=True)
        (self.var / "enabled_plugins").write_text("[].\n")
        with open(self.var / "node.log", "ab") as log:
            self.proc = subprocess.Popen(
                [str(self.SCRIPTS / "rabbitmq-server")],
                env=self.env,
                cwd=self.var,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port("127.0.0.1", self.port, timeout, self.proc)

    def stop(self) -> None:
        """Stop the whole node gracefully, as an operator's restart does."""
        if self.proc is None or self.proc.poll() is not None:
            return
        subprocess.run(
            [
                str(self.SCRIPTS / "rabbitmqctl"),
                "-n",
                self.node,
                "stop",
                str(self.var / "rabbit.pid"),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
