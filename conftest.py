"""Fixtures shared by every test: real NX-27017, a real SMTP server, a fresh vhost.

eventlet must patch the standard library before anything else imports it.
"""

import eventlet

eventlet.monkey_patch()

import email  # noqa: E402
import email.policy  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from stack import free_port, wait_for_port  # noqa: E402
from testbed import NoManagementAPI, make_vhost, start_nx  # noqa: E402


@pytest.fixture(scope="session")
def nx_server(tmp_path_factory):
    """One NX-27017 server for the session."""
    uri, proc = start_nx(tmp_path_factory.mktemp("nx"))
    yield uri
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def mongo_uri(nx_server):
    """The server, emptied of every Tilts database after the test."""
    yield nx_server
    from pymongo import MongoClient

    with MongoClient(nx_server) as client:
        for name in client.list_database_names():
            if name.startswith("tilts_"):
                client.drop_database(name)


class MailSink:
    """A real SMTP server (aiosmtpd) in its own process, writing .eml files."""

    def __init__(self, directory: Path, port: int):
        self.dir, self.port, self.host = directory, port, "127.0.0.1"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "deploy/local/smtp_sink.py"),
                "--port",
                str(self.port),
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.host, self.port, 30, self.proc)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def messages(self, to: str | None = None, subject: str = "") -> list:
        """Messages to `to` (all if None) whose subject contains `subject`, oldest first."""
        found = []
        for path in sorted(self.dir.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or to.lower() in str(msg["To"]).lower():
                if subject in str(msg["Subject"]):
                    found.append(msg)
        return found

    def wait_for(self, to: str, count: int = 1, timeout: float = 30, subject: str = "") -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages(to, subject)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{count} message(s) to {to} did not arrive in {timeout} s")


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory):
    sink = MailSink(tmp_path_factory.mktemp("mail"), free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Without RabbitMQ's management API no test over the broker can run: stop at the
    first one with the line saying how to enable it, not a traceback per test."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(NoManagementAPI):
        pytest.exit(str(call.excinfo.value), returncode=1)
    return report


@pytest.fixture(scope="session")
def amqp_vhost():
    """A vhost for the session, so runs never see each other's queues."""
    uri, drop = make_vhost()
    yield uri
    drop()


def eventually(fetch, check, timeout: float = 30, interval: float = 0.2):
    """Poll `fetch()` until `check(value)` holds or time runs out; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def wait_until():
    return eventually


TEST_SECRET = "integration-test-secret-of-32-bytes-or-more"


@pytest.fixture
def service_config(rabbit_config, mongo_uri, smtp_sink):
    """nameko config for `container_factory(Service, service_config)`: a fresh vhost
    (nameko's rabbit_config), the shared NX-27017 emptied after each test, real SMTP."""
    from tilts_contracts import settings

    return {
        **settings.from_env({}),
        **rabbit_config,
        "MONGO_URI": mongo_uri,
        "SMTP_HOST": smtp_sink.host,
        "SMTP_PORT": smtp_sink.port,
        "AUTH_SECRET": TEST_SECRET,
        "PUBLIC_URL": "http://tilts.test",
        "serializer": "json",
    }


@pytest.fixture
def dispatch_event(service_config):
    """Publish an envelope as `source` would, to drive a service's handlers."""
    from nameko.standalone.events import event_dispatcher

    def dispatch(source: str, env: dict):
        event_dispatcher(service_config)(source, env["type"], env)

    return dispatch
