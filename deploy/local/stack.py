"""Start the whole Tilts stack on one machine: storage, mail sink, services, gateway.

`make run` runs this; the end-to-end tests use the same `Stack` on their own ports.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "pledges", "matching", "notify", "gateway")
NAMEKO_CONFIG = ROOT / "deploy" / "nameko.yml"


class StackError(Exception):
    """Something the person starting the stack can fix; said in one line."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
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
        where = urlparse(amqp_uri)
        raise StackError(
            f"RabbitMQ is not reachable at {where.hostname}:{where.port or 5672} "
            f"({exc.__class__.__name__}). "
            "Start it with `rabbitmq-server -detached` (or `docker run -p 5672:5672 rabbitmq:3`), "
            "or set AMQP_URI."
        ) from None


class Stack:
    """The processes of one Tilts stack, started in order and stopped together."""

    def __init__(self, env: dict, var: Path, workers: dict | None = None, quiet: bool = False):
        self.env = dict(env)
        self.var = var
        self.workers = workers or {}
        self.quiet = quiet
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs = var / "log"
        self.mail_dir = var / "mail"

    # -- infrastructure ------------------------------------------------------------
    def start_mongo(self, port: int) -> None:
        data = self.var / "mongo"
        data.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or "nx-27017"
        self._spawn(
            "mongo",
            [
                binary,
                "--data-dir",
                str(data),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--pid-file",
                str(self.var / "nx-27017.pid"),
                "--log-file",
                str(self.logs / "nx-27017.log"),
            ],
        )
        wait_for_port("127.0.0.1", port, 30, self.procs["mongo"])
        self.env["MONGO_URI"] = f"mongodb://127.0.0.1:{port}/"

    def start_smtp(self, port: int) -> None:
        self._spawn(
            "smtp",
            [
                sys.executable,
                str(ROOT / "deploy/local/smtp_sink.py"),
                "--port",
                str(port),
                "--dir",
                str(self.mail_dir),
            ],
        )
        wait_for_port("127.0.0.1", port, 30, self.procs["smtp"])
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
        argv = [nameko, "run", "--config", str(NAMEKO_CONFIG), f"{name}.service"]
        self._spawn(key, argv, extra_env)
        return key

    def stop_service(self, key: str, sig=signal.SIGTERM) -> None:
        proc = self.procs.pop(key)
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def wait_healthy(self, timeout: float = 90) -> None:
        import requests

        url = f"http://127.0.0.1:{self.env['HTTP_PORT']}/health"
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for key, proc in self.procs.items():
                if proc.poll() is not None:
                    raise StackError(
                        f"{key} exited with {proc.returncode}; see {self.logs / key}.log"
                    )
            try:
                reply = requests.get(url, timeout=5)
                if reply.status_code == 200:
                    return
                last = reply.text
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.5)
        raise StackError(f"the stack did not become healthy in {timeout:.0f} s: {last}")

    def _spawn(self, key: str, argv: list[str], extra_env: dict | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{key}.log", "ab")
        self.procs[key] = subprocess.Popen(
            argv,
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop them in order
        )
        log.close()

    def stop(self) -> None:
        """Services first (the gateway leading), then storage and mail, so a worker
        finishing its last message still reaches the database it writes to."""
        infrastructure = ("mongo", "smtp")
        services = [key for key in reversed(list(self.procs)) if key not in infrastructure]
        for group in (services, [key for key in infrastructure if key in self.procs]):
            for key in group:
                if self.procs[key].poll() is None:
                    self.procs[key].terminate()
            for key in group:
                try:
                    self.procs[key].wait(15)
                except subprocess.TimeoutExpired:
                    self.procs[key].kill()
                    self.procs[key].wait()
        self.procs.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the whole Tilts stack locally.")
    parser.add_argument("--var", default=str(ROOT / "var"), help="data, mail and logs")
    parser.add_argument("--mongo-port", type=int, default=27017)
    parser.add_argument("--smtp-port", type=int, default=1025)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "contracts"))
    from tilts_contracts import settings

    env = {**os.environ, **settings.from_env()}
    # replies to emails, and gap alerts nobody follows, land in var/mail/ like the rest
    env["COORDINATOR_EMAIL"] = env["COORDINATOR_EMAIL"] or "koordinators@localhost"
    var = Path(args.var)
    stack = Stack(env, var)
    try:
        check_rabbitmq(env["AMQP_URI"])
        if not os.environ.get("MONGO_URI"):
            stack.start_mongo(args.mongo_port)
        if not os.environ.get("SMTP_HOST"):
            stack.start_smtp(args.smtp_port)
            env_note = f"mail is kept in {stack.mail_dir}/"
        else:
            env_note = f"mail goes to {env['SMTP_HOST']}:{env['SMTP_PORT']}"
        stack.start_services()
        stack.wait_healthy()
        print(
            f"Tilts is up: {env['PUBLIC_URL']}  ({env_note}; logs in {stack.logs}/). "
            "Ctrl-C stops it.",
            flush=True,
        )
        while True:
            time.sleep(1)
            for key, proc in stack.procs.items():
                if proc.poll() is not None:
                    raise StackError(
                        f"{key} stopped (exit {proc.returncode}); see {stack.logs / key}.log"
                    )
    except StackError as exc:
        print(f"tilts: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C must not cut the stop short and leave NX-27017 or the mail sink
        # running: every process gets its 15 s and is then killed
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping Tilts ...", flush=True)
        stack.stop()
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started from a script
    sys.exit(main())
