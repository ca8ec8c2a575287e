"""Throw-away infrastructure for tests: an NX-27017 server, a RabbitMQ vhost."""

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import requests
from stack import ROOT, _die_with_parent, free_port, port_in_use, wait_for_port

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

    # a cluster's nodes die with the process that started them, even one killed outright
    die_with_parent = False

    def start(self, timeout: float = 120) -> None:
        """Start the node (on the data of any earlier run of it) and wait for AMQP."""
        self.launch()
        wait_for_port("127.0.0.1", self.port, timeout, self.proc)

    def launch(self) -> None:
        """Start the node without waiting for it. With `die_with_parent`, from the main
        thread: the node gets SIGTERM when the thread that started it ends
        (PR_SET_PDEATHSIG is per thread); rabbitmq-server exec's down to beam.smp, which
        keeps it."""
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
                preexec_fn=_die_with_parent if self.die_with_parent else None,
            )

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


# ports handed out in this process: runs made up front and started later, side by side,
# must not be given the same ports while none of them holds its own yet
_HANDED_OUT: set[int] = set()


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports below the kernel's range for outgoing
    connections, which could take one before the server that is to listen on it."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
        ephemeral = int(ranges.read().split()[0])
    while True:
        first = random.randrange(max(1024, ephemeral - 12000), ephemeral - count)
        wanted = set(range(first, first + count))
        if not wanted & _HANDED_OUT and not any(port_in_use(port) for port in wanted):
            _HANDED_OUT.update(wanted)
            return first


class MakeRun:
    """`make run` as a person runs it, on free ports with its own var/ and a process group
    of its own (so a test can signal the group as a terminal does). Every process it
    starts inherits a marker in its environment, so none can hide after a stop."""

    USER_SETTINGS = ("MONGO_URI", "SMTP_HOST", "AUTH_SECRET", "PUBLIC_URL", "HTTP_HOST")

    def __init__(self, var: Path, env: dict):
        self.marker = uuid.uuid4().hex
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in self.USER_SETTINGS},
            "HTTP_PORT": str(free_ports(1)),
            "MONGO_PORT": str(free_ports(4)),  # the first of make run's NX-27017 servers
            "SMTP_PORT": str(free_ports(1)),
            "METRICS_PORT": str(free_ports(4)),  # the first of the backends' metrics ports
            "TILTS_VAR": str(var),
            "TILTS_TEST_MARKER": self.marker,
            **env,  # another run's ports or var/, to start beside it or on its data
        }
        self.http_port, self.smtp_port = int(self.env["HTTP_PORT"]), int(self.env["SMTP_PORT"])
        self.mongo_port = int(self.env["MONGO_PORT"])
        self.metrics_port = int(self.env["METRICS_PORT"])
        self.var = Path(self.env["TILTS_VAR"])
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.proc: subprocess.Popen | None = None
        self.out = var / "make-run.out"  # this run's output only

    def start(self) -> "MakeRun":
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen(
                ["make", "-s", "run"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def output(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    def wait_for(self, text: str, timeout: float = 120, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.output().count(text) < count:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"`make run` never said {text!r}:\n{self.output()[-3000:]}")
            time.sleep(0.2)

    def pid(self, key: str) -> int:
        """The pid of one of its processes (`supervisor`: the runner under make)."""
        return int((self.var / "run" / f"{key}.pid").read_text())

    @property
    def secret(self) -> str:
        """AUTH_SECRET: the one given, or the one make run made and keeps in var/."""
        return self.env.get("AUTH_SECRET") or (self.var / "auth_secret").read_text().strip()

    def ports(self) -> list[int]:
        mongo = [self.mongo_port + n for n in range(4)]
        metrics = [self.metrics_port + n for n in range(4)]
        return [self.http_port, self.smtp_port, *mongo, *metrics]

    def ports_held(self) -> list[int]:
        return [port for port in self.ports() if port_in_use(port)]

    def processes(self) -> list[int]:
        """Every live process carrying this run's marker (make, the runner, its children)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue  # gone, or not ours to read
            if f"TILTS_TEST_MARKER={self.marker}".encode() in environ and state != "Z":
                found.append(int(entry.name))
        return found

    def kill_leftovers(self) -> None:
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None and self.proc.poll() is None:
            self.proc.wait(10)
