"""`make run`: the whole Tilts stack on this machine, supervised until a signal stops it.

Ports come from the environment (HTTP_PORT, MONGO_PORT for the first of the four
NX-27017 servers, SMTP_PORT for the mail sink, METRICS_PORT for the first of the four
backends' Prometheus metrics), the data directory from TILTS_VAR.
"""

import argparse
import fcntl
import logging
import os
import secrets
import sys
from pathlib import Path

from stack import (
    ROOT,
    STORED,
    Interrupted,
    Stack,
    StackError,
    check_rabbitmq,
    metrics_port,
    port_in_use,
)
from supervisor import Signals, Supervisor

from tilts_contracts import settings


def arguments(argv=None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Run the whole Tilts stack locally.")
    parser.add_argument("--var", default=env("TILTS_VAR") or str(ROOT / "var"))
    parser.add_argument("--mongo-port", type=int, default=int(env("MONGO_PORT") or 27017))
    parser.add_argument("--smtp-port", type=int, default=int(env("SMTP_PORT") or 1025))
    parser.add_argument("--metrics-port", type=int, default=int(env("METRICS_PORT") or 9101))
    return parser.parse_args(argv)


def reporter(logs: Path) -> logging.Logger:
    """Lines for the terminal and var/log/run.log. A closed terminal (SIGHUP) makes
    writes fail: logging drops those instead of raising into the stop."""
    logging.raiseExceptions = False
    logs.mkdir(parents=True, exist_ok=True)
    say = logging.getLogger("tilts.run")
    say.setLevel(logging.INFO)
    say.propagate = False
    news, trouble = logging.StreamHandler(sys.stdout), logging.StreamHandler(sys.stderr)
    news.addFilter(lambda record: record.levelno < logging.ERROR)
    trouble.setLevel(logging.ERROR)
    kept = logging.FileHandler(logs / "run.log")
    kept.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    for handler in (news, trouble, kept):
        handler.setFormatter(handler.formatter or logging.Formatter("tilts: %(message)s"))
        say.addHandler(handler)
    return say


def local_secret(var: Path) -> str:
    """The AUTH_SECRET kept in var/auth_secret (made on first use, readable by its owner
    only), so tokens and emailed links outlive a restart."""
    path = var / "auth_secret"
    var.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
    secret = path.read_text().strip()
    if len(secret.encode()) < 32:
        raise StackError(f"{path} holds no usable secret: delete it, and a new one is made")
    return secret


def local_env(args, var: Path) -> dict:
    """The settings for every process: the user's environment, with make run's defaults."""
    given = {k: v for k, v in os.environ.items() if v}
    env = {**os.environ, **settings.from_env(given)}
    env["HTTP_HOST"] = given.get("HTTP_HOST", "127.0.0.1")  # this machine only, unless asked
    # links in emails and the "up" line point at the port the gateway really serves
    env["PUBLIC_URL"] = given.get("PUBLIC_URL", f"http://localhost:{env['HTTP_PORT']}")
    env["AUTH_SECRET"] = given.get("AUTH_SECRET") or local_secret(var)
    # replies to emails, and gap alerts nobody follows, land in var/mail/ like the rest
    env["COORDINATOR_EMAIL"] = env["COORDINATOR_EMAIL"] or "koordinators@localhost"
    if not given.get("SMTP_HOST"):
        env["SMTP_PORT"] = str(args.smtp_port)
    problem = settings.secret_problem(env)
    if problem:
        raise StackError(problem)
    return env


def ports_to_hold(args, env: dict) -> list[tuple[str, int, str]]:
    """(host, port, what and how to change it) for every port this stack will listen on."""
    ports = [(env["HTTP_HOST"], int(env["HTTP_PORT"]), "the gateway; HTTP_PORT moves it")]
    if not os.environ.get("MONGO_URI"):
        for n, service in enumerate(STORED):
            ports.append(("127.0.0.1", args.mongo_port + n, f"{service}'s NX-27017; MONGO_PORT"))
    if not os.environ.get("SMTP_HOST"):
        ports.append(("127.0.0.1", args.smtp_port, "the mail sink; SMTP_PORT moves it"))
    for service in STORED:
        port = metrics_port(args.metrics_port, service)
        ports.append((env["HTTP_HOST"], port, f"{service}'s metrics; METRICS_PORT moves them"))
    return ports


def claim(var: Path, ports: list[tuple[str, int, str]]):
    """Refuse, in one line, to start beside a stack that is running; returns the lock."""
    for host, port, what in ports:
        if port_in_use(port, host):
            raise StackError(f"port {port} is in use ({what}): is Tilts already running?")
    (var / "run").mkdir(parents=True, exist_ok=True)
    lock = open(var / "run" / "supervisor.pid", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        raise StackError(f"another `make run` (pid {lock.read().strip()}) uses {var}/") from None
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def start(stack: Stack, args, say) -> str:
    """Start every process in order; returns the line that says the stack is up."""
    env = stack.env
    if os.environ.get("MONGO_URI"):
        storage = f"storage at {env['MONGO_URI']}"
    else:
        ports = [args.mongo_port + n for n in range(len(STORED))]
        stack.start_storage(ports)
        storage = f"storage: one NX-27017 per service on 127.0.0.1:{ports[0]}-{ports[-1]}"
    if os.environ.get("SMTP_HOST"):
        mail = f"mail goes to {env['SMTP_HOST']}:{env['SMTP_PORT']}"
    else:
        stack.start_smtp(args.smtp_port)
        mail = f"mail is kept in {stack.mail_dir}/"
    stack.start_services()
    say.info("starting the services; logs in %s/", stack.logs)
    if stack.metrics_ports:
        first, last = min(stack.metrics_ports.values()), max(stack.metrics_ports.values())
        say.info("backend metrics on %s:%s-%s (/metrics)", env["HTTP_HOST"], first, last)
    listening = "this machine only" if env["HTTP_HOST"].startswith("127.") else env["HTTP_HOST"]
    return (
        f"Tilts is up: {env['PUBLIC_URL']} (listening on {listening}; {mail}; {storage}). "
        "Ctrl-C stops it."
    )


def main(argv=None) -> int:
    signals = Signals()
    signals.install()  # first of all: a signal during start-up stops what has started
    args = arguments(argv)
    var = Path(args.var).resolve()
    say = reporter(var / "log")
    stack = None
    try:
        env = local_env(args, var)
        lock = claim(var, ports_to_hold(args, env))  # noqa: F841 - held while we run
        check_rabbitmq(env["AMQP_URI"])
        stack = Stack(env, var, cancelled=lambda: bool(signals), metrics_port=args.metrics_port)
        up = start(stack, args, say)
        Supervisor(stack, signals, say.info).watch(up)
    except StackError as exc:
        say.error("%s", exc)
        return 0 if signals else 1
    except Interrupted:
        pass
    finally:
        if stack is not None:
            stop(stack, signals, say)
    return 0


def stop(stack: Stack, signals: Signals, say) -> None:
    why = ", ".join(signals.news()) or "an error"
    say.info("stopping Tilts (%s) ...", why)
    stack.stop()
    later = signals.news()
    if later:
        say.info("(also got %s while stopping)", ", ".join(later))
    say.info("stopped")


if __name__ == "__main__":
    sys.exit(main())
