"""The whole stack as separate processes, started the way `make run` starts it."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from stack import Stack, free_port  # noqa: E402

from tilts_contracts import settings  # noqa: E402

SECRET = "e2e-test-secret-at-least-32-bytes-long"


@pytest.fixture(scope="session")
def stack(tmp_path_factory, nx_server, smtp_sink, amqp_vhost):
    port = free_port()
    env = {
        **os.environ,
        **settings.from_env({}),
        "AMQP_URI": amqp_vhost,
        "MONGO_URI": nx_server,
        "SMTP_HOST": smtp_sink.host,
        "SMTP_PORT": str(smtp_sink.port),
        "HTTP_PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AUTH_SECRET": SECRET,
        "RPC_TIMEOUT": "10",
    }
    running = Stack(env, tmp_path_factory.mktemp("stack"))
    running.mail = smtp_sink
    running.url = env["PUBLIC_URL"]
    running.secret = SECRET
    try:
        running.start_services()
        running.wait_healthy(120)
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(stack):
    """`client(role, org=None)`: a requests session with a bearer token for the stack."""
    import requests

    from tilts_contracts.tokens import issue_token

    def make(role: str = "coordinator", org: str | None = None):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {issue_token(stack.secret, role, org=org)}"
        return session

    return make


def eventually(fetch, check, timeout: float = 30, interval: float = 0.2):
    """Poll `fetch()` until `check(value)` holds or time runs out; returns the last value."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def wait_until():
    return eventually


@pytest.fixture
def verified_org(stack, client):
    """`verified_org(**fields)`: register and verify an organisation, return it."""
    import uuid

    coordinator = client()

    def make(**fields):
        unique = uuid.uuid4().hex[:8]
        body = {
            "name": f"Palīdzības biedrība {unique}",
            "email": f"org-{unique}@example.org",
            "domains": ["social"],
            "regions": ["riga"],
            "languages": ["lv"],
            "preferred_language": "lv",
            **fields,
        }
        reply = coordinator.post(f"{stack.url}/api/organisations", json=body)
        assert reply.status_code == 201, reply.text
        org = reply.json()
        reply = coordinator.post(f"{stack.url}/api/organisations/{org['id']}/verify")
        assert reply.status_code == 200, reply.text
        return reply.json()

    return make
