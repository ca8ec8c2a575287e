"""Throw-away infrastructure for tests: an NX-27017 server, a RabbitMQ vhost."""

import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import requests
from stack import free_port, wait_for_port

RABBIT_API = "http://guest:guest@127.0.0.1:15672/api"


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


def make_vhost():
    """A throw-away RabbitMQ vhost: its AMQP URI and a function that deletes it."""
    name = quote(f"tilts-test-{uuid.uuid4().hex[:8]}", safe="")
    requests.put(f"{RABBIT_API}/vhosts/{name}", timeout=10).raise_for_status()
    requests.put(
        f"{RABBIT_API}/permissions/{name}/guest",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=10,
    ).raise_for_status()

    def drop():
        requests.delete(f"{RABBIT_API}/vhosts/{name}", timeout=10)

    return f"amqp://guest:guest@127.0.0.1:5672/{name}", drop
