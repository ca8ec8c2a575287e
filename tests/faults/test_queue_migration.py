"""A deployment on classic queues is upgraded to quorum queues and loses nothing.

The stack first runs the last release with classic queues (its code taken from git,
put first on PYTHONPATH), with events waiting in a queue whose consumer is down. Then,
as README says: stop the services, run deploy/rabbitmq/migrate_to_quorum.py, start this
version. Every waiting event is handled once.
"""

import io
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from tilts_runtime.queues import DELIVERY_LIMIT, arguments_for

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
from stack import SERVICES  # noqa: E402
from testbed import RABBIT_API  # noqa: E402

CLASSIC_RELEASE = "84e893c"  # the last release on classic queues (before tilts_runtime)
PACKAGES = ["contracts"] + [f"services/{s}" for s in SERVICES]

pytestmark = pytest.mark.integration


def classic_release(into: Path) -> str | None:
    """The classic-queue release's Python packages, as a PYTHONPATH (None: not in git)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", CLASSIC_RELEASE, *PACKAGES],
        cwd=ROOT,
        capture_output=True,
    )
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return os.pathsep.join(str(into / p) for p in PACKAGES)


def tilts_queues(amqp_uri: str) -> dict[str, dict]:
    vhost = quote(amqp_uri.rsplit("/", 1)[1], safe="")
    found = requests.get(f"{RABBIT_API}/queues/{vhost}", timeout=10).json()
    return {q["name"]: q for q in found if arguments_for(q["name"]) is not None}


def test_classic_queues_migrate_to_quorum_with_every_message(
    tmp_path, own_stack, needs_flow, wait_until
):
    old_code = classic_release(tmp_path / "classic")
    if old_code is None:
        pytest.skip(f"{CLASSIC_RELEASE} is not in this clone's history")
    running = own_stack(PYTHONPATH=old_code)
    amqp_uri = running.env["AMQP_URI"]
    assert {q["type"] for q in tilts_queues(amqp_uri).values()} == {"classic"}

    flow = needs_flow(running, "migration@example.org", "legal", "kurzeme")
    needs = [flow.post_need(n) for n in range(2)]
    running.mail.wait_for(flow.email, count=2, subject="Lūgums palīdzēt", timeout=60)
    running.stop_service("matching")  # its events now wait in its classic queue
    needs += [flow.post_need(n) for n in range(2, 5)]
    waiting = "evt-pledges-need_posted--matching.on_need_posted"
    queued = wait_until(
        lambda: tilts_queues(amqp_uri)[waiting].get("messages"), lambda n: n == 3, 20
    )
    assert queued == 3

    running.stop()
    del running.env["PYTHONPATH"]  # this version, which will not start on classic queues
    running.start_service("registry")
    assert running.procs["registry"].wait(60) == 1
    said = (running.logs / "registry.log").read_text()
    assert "stop the services, run deploy/rabbitmq/migrate_to_quorum.py" in said
    running.stop()

    migration = subprocess.run(
        [sys.executable, str(ROOT / "deploy/rabbitmq/migrate_to_quorum.py")],
        env={**os.environ, "AMQP_URI": amqp_uri},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migration.returncode == 0, migration.stderr
    assert f"{waiting}: classic -> quorum, 3 messages kept" in migration.stdout
    after = tilts_queues(amqp_uri)
    assert {q["type"] for q in after.values()} == {"quorum"}
    assert after[waiting]["arguments"]["x-delivery-limit"] == DELIVERY_LIMIT

    running.start_services(SERVICES)
    running.wait_healthy(120)
    ids = {n["id"] for n in needs}
    matches = wait_until(flow.proposals, lambda ms: {m["need_id"] for m in ms} == ids, 120)
    assert sorted(m["need_id"] for m in matches) == sorted(ids)  # each once
    running.mail.wait_for(flow.email, count=5, subject="Lūgums palīdzēt", timeout=60)
    time.sleep(2)  # anything doubled would arrive now
    assert len(running.mail.messages(flow.email, subject="Lūgums palīdzēt")) == 5
