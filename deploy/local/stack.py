"""The processes of one Tilts stack on one machine: storage, mail sink, services, gateway.

`make run` supervises a `Stack` (deploy/local/run.py); the end-to-end tests and the
benchmarks start the same `Stack` on their own ports.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse

from tilts_contracts import settings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "pledges", "matching", "notify", "gateway")
STORED = ("registry", "pledges", "matching", "notify")  # each owns a database; not the gateway
INFRASTRUCTURE_PREFIXES = ("nx-", "smtp")  # stopped after the services that use them
NAMEKO_CONFIG = ROOT / "deploy" / "nameko.yml"
SERVICE_GRACE, INFRASTRUCTURE_GRACE = 10.0, 5.0  # seconds before a stopping process is killed


class StackError(Exception):
    """Something the person starting the stack can fix; said in one line."""


class Interrupted(Exception):
    """A stop was asked for while the stack was starting."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a process holds `port` (a server would fail to bind it)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def wait_for_port(host: str, port: int, timeout: float, proc=None, cancelled=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cancelled is not None and cancelled():
            raise Interrupted()
        if proc is not None and proc.poll() is not None:
            raise StackError(f"process for {host}:{port} exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"nothing answered on {host}:{port} within {timeout:.0f} s")


def check_rabbitmq(amqp_uri: str) -> None:
    """Fail fast, in one line, when the broker is not there."""
    from kombu import Connection

    try:
        with Connection(amqp_uri, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        nodes = [urlparse(part) for part in amqp_uri.split(";")]  # failover: each in turn
        where = ", ".join(f"{n.hostname}:{n.port or 5672}" for n in nodes)
        raise StackError(
            f"RabbitMQ is not reachable at {where} "
            f"({exc.__class__.__name__}). "
            "Start it with `rabbitmq-server -detached` (or `docker run -p 5672:5672 rabbitmq:3`), "
            "or set AMQP_URI."
        ) from None


def metrics_port(first: int, service: str, n: int = 0) -> int:
    """Where worker `n` of a backend serves its metrics: registry on `first`, pledges on
    the next port, and so on; a second worker of each on the four after those."""
    return first + len(STORED) * n + STORED.index(service)


def _die_with_parent() -> None:
    """In the child: SIGTERM when the process that started it dies, even by SIGKILL, so
    a runner that is killed outright leaves no service holding its ports (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Stack:
    """The processes of one Tilts stack, started in order and stopped together."""

    def __init__(
        self,
        env: dict,
        var: Path,
        workers: dict | None = None,
        quiet: bool = False,
        cancelled: Callable[[], bool] | None = None,
        metrics_port: int | None = None,
    ):
        self.env = dict(env)
        self.var = var
        self.workers = workers or {}
        self.quiet = quiet
        self.cancelled = cancelled or (lambda: False)  # wait loops give up when it says so
        self.procs: dict[str, subprocess.Popen] = {}
        self.started: dict[str, float] = {}  # when each process was last started
        self.commands: dict[str, tuple[list[str], dict]] = {}  # how to start it again
        self.mongo_uris: dict[str, str] = {}  # each service's own NX-27017, when we run them
        self.nameko_config = NAMEKO_CONFIG  # a benchmark of older code gives that code's
        # backends serve Prometheus metrics from this port on (None: not served)
        self.metrics_port = metrics_port
        self.metrics_ports: dict[str, int] = {}  # process key -> its metrics port
        self.logs = var / "log"
        self.mail_dir = var / "mail"
        self.pids = var / "run"

    # -- infrastructure ------------------------------------------------------------
    def start_storage(self, ports: Sequence[int]) -> None:
        """One NX-27017 per service database, so storage work spreads over every core."""
        binary = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or "nx-27017"
        for service, port in zip(STORED, ports, strict=True):
            data = self._storage_dir(service)
            key = f"nx-{service}"
            argv = [binary, "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)]
            argv += ["--pid-file", str(self.pids / f"{key}.nx.pid")]
            argv += ["--log-file", str(self.logs / f"{key}.nx.log")]
            self.spawn(key, argv)
            self.mongo_uris[service] = f"mongodb://127.0.0.1:{port}/"
        for service, port in zip(STORED, ports, strict=True):
            wait_for_port("127.0.0.1", port, 30, self.procs[f"nx-{service}"], self.cancelled)

    def _storage_dir(self, service: str) -> Path:
        """var/mongo/<service>/. The service's database from the days of one NX-27017 for
        all (var/mongo/tilts_<service>.db, with its -wal and -shm) moves in, whole."""
        data = self.var / "mongo" / service
        data.mkdir(parents=True, exist_ok=True)
        name = f"{settings.database_name(service)}.db"
        if not (data / name).exists():
            for old in (self.var / "mongo").glob(f"{name}*"):
                old.rename(data / old.name)
        return data

    def start_smtp(self, port: int) -> None:
        sink = str(ROOT / "deploy/local/smtp_sink.py")
        argv = [sys.executable, sink, "--port", str(port), "--dir", str(self.mail_dir)]
        self.spawn("smtp", argv)
        wait_for_port("127.0.0.1", port, 30, self.procs["smtp"], self.cancelled)
        self.env["SMTP_HOST"], self.env["SMTP_PORT"] = "127.0.0.1", str(port)

    # -- services --------------------------------------------------------------------
    def start_services(self, names=SERVICES) -> None:
        # in any order: each producer declares its consumers' queues when it starts
        for name in names:
            for n in range(self.workers.get(name, 1)):
                self.start_service(name, n)

    def start_service(self, name: str, n: int = 0, extra_env: dict | None = None) -> str:
        """Start one worker process of a service; returns its key (name, name-1, ...)."""
        nameko = str(Path(sys.executable).parent / "nameko")
        key = name if n == 0 else f"{name}-{n}"
        argv = [nameko, "run", "--config", str(self.nameko_config), f"{name}.service"]
        own = {"MONGO_URI": self.mongo_uris[name]} if name in self.mongo_uris else {}
        own["METRICS_PORT"] = ""
        if self.metrics_port and name in STORED:
            self.metrics_ports[key] = metrics_port(self.metrics_port, name, n)
            own["METRICS_PORT"] = str(self.metrics_ports[key])
        self.spawn(key, argv, {**own, **(extra_env or {})})
        return key

    def restart(self, key: str) -> subprocess.Popen:
        """Start a process that exited again, the way it was first started."""
        argv, extra_env = self.commands[key]
        self.spawn(key, argv, extra_env)
        return self.procs[key]

    def stop_service(self, key: str, sig=signal.SIGTERM) -> None:
        proc = self.procs.pop(key)
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        (self.pids / f"{key}.pid").unlink(missing_ok=True)

    def health(self) -> tuple[bool, str]:
        """Whether the gateway says every service answers, and what it said otherwise."""
        import requests

        try:
            reply = requests.get(f"http://127.0.0.1:{self.env['HTTP_PORT']}/health", timeout=3)
        except requests.RequestException as exc:
            return False, str(exc)
        return reply.status_code == 200, reply.text

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for key, proc in self.procs.items():
                if proc.poll() is not None:
                    raise StackError(
                        f"{key} exited with {proc.returncode}; see {self.logs / key}.log"
                    )
            if self.cancelled():
                raise Interrupted()
            healthy, last = self.health()
            if healthy:
                return
            time.sleep(0.5)
        raise StackError(f"the stack did not become healthy in {timeout:.0f} s: {last}")

    def spawn(self, key: str, argv: list[str], extra_env: dict | None = None) -> None:
        """Start `argv` as process `key`, logging to var/log/<key>.log, its pid in var/run/."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pids.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{key}.log", "ab") as log:
            self.procs[key] = subprocess.Popen(
                argv,
                env={**self.env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,  # a signal to our group is ours to pass on, in order
                preexec_fn=_die_with_parent,
            )
        self.commands[key] = (argv, dict(extra_env or {}))
        self.started[key] = time.monotonic()
        (self.pids / f"{key}.pid").write_text(f"{self.procs[key].pid}\n")

    def stop(self) -> None:
        """Services first (the gateway leading), then storage and mail, so a worker
        finishing its last message still reaches the database it writes to. Within
        SERVICE_GRACE + INFRASTRUCTURE_GRACE seconds, whatever the processes do."""
        infrastructure = [k for k in self.procs if k.startswith(INFRASTRUCTURE_PREFIXES)]
        services = [k for k in reversed(list(self.procs)) if k not in infrastructure]
        for group, grace in ((services, SERVICE_GRACE), (infrastructure, INFRASTRUCTURE_GRACE)):
            for key in group:
                _signal(self.procs[key], signal.SIGTERM)
            deadline = time.monotonic() + grace
            for key in group:
                try:
                    self.procs[key].wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal(self.procs[key], signal.SIGKILL)
                    self.procs[key].wait()
                (self.pids / f"{key}.pid").unlink(missing_ok=True)
        self.procs.clear()


def _signal(proc: subprocess.Popen, sig: int) -> None:
    """Signal the process's whole session (anything it started too), if it still runs."""
    if proc.poll() is None:  # not reaped, so its pid is still its own
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
