"""Each email goes once, however slow or odd the mail server: notify over real
RabbitMQ, NX-27017 and a misbehaving aiosmtpd server (smtp_faults.py)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from stack import free_port, wait_for_port

from conftest import MailSink
from notify.service import NotifyService
from tilts_contracts.events import envelope

from .test_delivery import address, match_payload

pytestmark = pytest.mark.integration
FAULTS = Path(__file__).with_name("smtp_faults.py")


class FaultySmtp(MailSink):
    """A real SMTP server that stalls or answers badly, keeping what it accepts."""

    def __init__(self, directory: Path, *options: str):
        super().__init__(directory, free_port())
        self.options = options

    def start(self):
        command = [sys.executable, str(FAULTS), "--port", str(self.port), "--dir", str(self.dir)]
        self.proc = subprocess.Popen(
            [*command, *self.options], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_for_port(self.host, self.port, 30, self.proc)


@pytest.fixture
def faulty_smtp(tmp_path):
    started = []

    def start(*options: str) -> FaultySmtp:
        server = FaultySmtp(tmp_path / f"mail{len(started)}", *options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def outbox(container, **filters) -> list[dict]:
    with entrypoint_hook(container, "list_notifications") as listing:
        return listing(filters, 100, None)["items"]


def test_a_message_the_server_accepted_is_sent_whatever_it_answers_to_quit(
    container_factory, service_config, dispatch_event, faulty_smtp
):
    server = faulty_smtp("--quit", "554 5.0.0 closing in a bad mood")
    config = {**service_config, "SMTP_PORT": server.port, "NOTIFY_RETRY_SECONDS": 1}
    notify = container_factory(NotifyService, config)
    notify.start()
    to = address()
    with entrypoint_waiter(notify, "on_match_proposed", timeout=10):
        dispatch_event("matching", envelope("match_proposed", match_payload(to)))
    server.wait_for(to)
    time.sleep(3)  # a retry would have come a second after the "failure"
    assert len(server.messages(to)) == 1
    [note] = outbox(notify, recipient=to)
    assert note["status"] == "sent" and note["attempts"] == 1 and note["last_error"] is None
