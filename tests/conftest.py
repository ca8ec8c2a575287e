"""The whole stack as separate processes, started the way `make run` starts it."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from stack import SERVICES, Stack, free_port  # noqa: E402
from testbed import MakeRun, free_ports, make_vhost, start_nx  # noqa: E402

from tilts_contracts import settings  # noqa: E402

SECRET = "e2e-test-secret-at-least-32-bytes-long"
METRICS_TOKEN = "e2e-metrics-token-0123456789abcdef"


def stack_env(amqp_uri: str, mongo_uri: str, mail, port: int, **extra) -> dict:
    return {
        **os.environ,
        **settings.from_env({}),
        "AMQP_URI": amqp_uri,
        "MONGO_URI": mongo_uri,
        "SMTP_HOST": mail.host,
        "SMTP_PORT": str(mail.port),
        "HTTP_PORT": str(port),
        "HTTP_HOST": "127.0.0.1",  # this machine only, as make run does
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AUTH_SECRET": SECRET,
        "RPC_TIMEOUT": "10",
        # suspensions and revocations reach the gateway in 2 s, not 30: the tests that
        # wait for them wait that much less (test_access checks the 30 s default)
        "ACCESS_CACHE_SECONDS": "2",
        "METRICS_TOKEN": METRICS_TOKEN,
        # tests that sign in often say which client they are (X-Forwarded-For), so the
        # 20 sign-in requests a client may make an hour are not all 127.0.0.1's
        "TRUSTED_PROXIES": "1",
        **extra,
    }


def start_stack(var: Path, env: dict, mail, services=SERVICES, **kwargs) -> Stack:
    running = Stack(env, var, **kwargs)
    running.mail = mail
    running.url = env["PUBLIC_URL"]
    running.secret = SECRET
    try:
        running.start_services(services)
        if "gateway" in services:
            running.wait_healthy(120)
    except BaseException:
        running.stop()
        raise
    return running


@pytest.fixture(scope="session")
def stack(tmp_path_factory, nx_server, smtp_sink, amqp_vhost):
    """The shared stack: fast, but tests must not leave open needs in others' way."""
    env = stack_env(amqp_vhost, nx_server, smtp_sink, free_port())
    var = tmp_path_factory.mktemp("stack")
    running = start_stack(var, env, smtp_sink, metrics_port=free_ports(4))
    yield running
    running.stop()
    left = open_to_anyone(nx_server)
    assert not left, f"tests left needs waiting for any offer: {left}"


def open_to_anyone(mongo_uri: str) -> list[str]:
    """The waiting needs on the shared stack that name no language: any offer of their
    group and region may go to them, so a test that leaves one takes later tests' offers
    (freed capacity goes to the oldest first). Give a need a language or cancel it."""
    from pymongo import MongoClient

    with MongoClient(mongo_uri) as mongo:
        waiting = mongo.tilts_matching.needs.find({"queue": {"$ne": None}})
        return [f"{n['title']} ({n['queue']})" for n in waiting if not n.get("languages")]


@contextmanager
def private_stacks(tmp_path_factory, smtp_sink):
    """Yields `make(services=..., workers=None, **env)`, which starts a private stack
    (its own vhost and NX-27017); every stack made is stopped and dropped after."""
    made = []

    def make(services=SERVICES, workers=None, **extra_env):
        var = tmp_path_factory.mktemp("own-stack")
        vhost, drop_vhost = make_vhost()
        mongo, nx = start_nx(var / "nx")
        env = stack_env(vhost, mongo, smtp_sink, free_port(), **extra_env)
        # metrics ports for two workers of each backend
        ports = free_ports(8)
        running = start_stack(var, env, smtp_sink, services, workers=workers, metrics_port=ports)
        made.append((running, nx, drop_vhost))
        return running

    try:
        yield make
    finally:
        for running, nx, drop_vhost in made:
            running.stop()
            nx.terminate()
            nx.wait(10)
            drop_vhost()


@pytest.fixture
def own_stack(tmp_path_factory, smtp_sink):
    """`own_stack(services=..., **env)`: a private stack, for tests that kill, restart or
    reconfigure services."""
    with private_stacks(tmp_path_factory, smtp_sink) as make:
        yield make


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory, smtp_sink):
    """A private stack shared by one module's tests."""
    with private_stacks(tmp_path_factory, smtp_sink) as make:
        yield make()


@pytest.fixture
def make_run(tmp_path_factory):
    """`make_run(**env)`: `make run` itself, supervised, on free ports with its own var/
    and vhost (not started: call `.start()`). Whatever it leaves behind is killed after."""
    made = []

    def make(**env):
        vhost, drop_vhost = make_vhost()
        run = MakeRun(tmp_path_factory.mktemp("make-run"), {"AMQP_URI": vhost, **env})
        made.append((run, drop_vhost))
        return run

    yield make
    for run, drop_vhost in made:
        run.kill_leftovers()
        drop_vhost()


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


@pytest.fixture
def store_with_retries():
    """`store(session, url, body, key)`: POST like a careful client, retrying with the same
    Idempotency-Key until the resource is stored (services may be down meanwhile)."""
    import time

    import requests

    def store(session, url, body, key, deadline=120):
        stop = time.monotonic() + deadline
        while True:
            try:
                reply = session.post(url, json=body, headers={"Idempotency-Key": key}, timeout=15)
                if reply.status_code in (200, 201):
                    return reply.json()
            except requests.RequestException:
                pass
            assert time.monotonic() < stop, f"{url} never stored {key}"
            time.sleep(0.5)

    return store
