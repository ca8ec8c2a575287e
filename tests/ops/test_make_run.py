"""What `make run` sets up besides supervision: storage on every core, a secret of its
own kept in var/, and a gateway and backend metrics only this machine reaches."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from pymongo import MongoClient
from stack import STORED
from testbed import free_ports

from tilts_contracts import settings
from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def old_layout(var: Path) -> None:
    """A registry database as the single NX-27017 of an earlier `make run` left it."""
    port = free_ports(1)
    nx = subprocess.Popen(
        [str(Path(sys.executable).parent / "nx-27017"), "--data-dir", str(var / "mongo")]
        + ["--port", str(port), "--pid-file", str(var / "old.pid")]
        + ["--log-file", str(var / "old.log")],
    )
    try:
        with MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=20000) as old:
            old.tilts_registry.kept.insert_one({"_id": "from-before", "note": "still here"})
    finally:
        nx.send_signal(signal.SIGTERM)
        nx.wait(10)


def test_each_service_has_its_own_nx_and_data_from_one_nx_moves_in(make_run):
    run = make_run()
    old_layout(run.var)
    run.start().wait_for("Tilts is up")

    # registry's data from before is served by registry's own NX-27017
    for n, service in enumerate(STORED):
        uri = f"mongodb://127.0.0.1:{run.mongo_port + n}/"
        assert environ(run.pid(service))["MONGO_URI"] == uri, service
        with MongoClient(uri) as own:
            ours = {name for name in own.list_database_names() if name.startswith("tilts_")}
            assert ours == {settings.database_name(service)}, service
            if service == "registry":
                assert own.tilts_registry.kept.find_one()["note"] == "still here"

    # and the stack works across them: an organisation registered, then listed
    token = issue_token(run.secret, "coordinator")
    body = {"name": "Biedrība Krātuve", "email": "kratuve@example.org", "domains": ["social"]}
    headers = {"Authorization": f"Bearer {token}"}
    made = requests.post(f"{run.url}/api/organisations", json=body, headers=headers, timeout=15)
    assert made.status_code == 201, made.text
    listed = requests.get(f"{run.url}/api/organisations", headers=headers, timeout=15).json()
    assert made.json()["id"] in [org["id"] for org in listed["items"]]

    # each backend serves its own metrics, on this machine only, on a port of its own
    for n, service in enumerate(STORED):
        port = run.metrics_port + n
        assert environ(run.pid(service))["METRICS_PORT"] == str(port), service
        assert listening_addresses(port) == {"127.0.0.1"}, service
    text = requests.get(f"http://127.0.0.1:{run.metrics_port}/metrics", timeout=15).text
    assert 'method="create_organisation",outcome="ok",service="registry"} 1.0' in text


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at `port` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, at = local.split(":")
        if state == "0A" and int(at, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found


def test_a_secret_of_its_own_survives_a_restart_and_only_this_machine_is_served(
    make_run, wait_until
):
    run = make_run().start()
    run.wait_for("Tilts is up")
    assert f"Tilts is up: http://localhost:{run.http_port} (" in run.output()  # its own port
    secret_file = run.var / "auth_secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}", run.secret)
    assert listening_addresses(run.http_port) == {"127.0.0.1"}
    headers = {"Authorization": f"Bearer {issue_token(run.secret, 'coordinator')}"}
    assert requests.get(f"{run.url}/api/needs", headers=headers, timeout=15).status_code == 200
    wrong = {"Authorization": f"Bearer {issue_token(settings.DEFAULTS['AUTH_SECRET'], 'admin')}"}
    assert requests.get(f"{run.url}/api/needs", headers=wrong, timeout=15).status_code == 401

    os.killpg(run.proc.pid, signal.SIGINT)  # Ctrl-C, then make run again on the same var/
    run.proc.wait(20)
    assert wait_until(run.ports_held, lambda held: not held, timeout=5) == []
    again = make_run(TILTS_VAR=str(run.var)).start()
    again.wait_for("Tilts is up")
    assert again.secret == run.secret  # tokens and emailed links outlive the restart
    assert requests.get(f"{again.url}/api/needs", headers=headers, timeout=15).status_code == 200


def test_a_secret_anyone_could_sign_with_is_refused_before_anything_starts(make_run):
    run = make_run(PUBLIC_URL="https://tilts.example.lv", AUTH_SECRET="a #b").start()
    assert run.proc.wait(60) != 0
    lines = [line for line in run.output().splitlines() if line.startswith("tilts:")]
    assert len(lines) == 1
    assert lines[0].startswith("tilts: refusing to use AUTH_SECRET: it is shorter than 32 bytes")
    assert not run.processes() and not run.ports_held()
