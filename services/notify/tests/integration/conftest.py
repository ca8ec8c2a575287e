"""Fixtures of notify's integration tests: an SMTP server that misbehaves on request."""

import subprocess
import sys
from pathlib import Path

import pytest
from stack import free_port, wait_for_port

from conftest import MailSink

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
