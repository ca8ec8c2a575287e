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
