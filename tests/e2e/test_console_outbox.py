"""Failed mail in the console, over a stack of its own whose mail server refuses every
recipient on demand: the outbox shows the message failed with the server's reason, and
Resend sends it once the server takes mail again."""

import email
import email.policy
import html
import random
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from stack import free_port, wait_for_port

from tilts_contracts.tokens import issue_operator_token, issue_token

pytestmark = pytest.mark.integration
REFUSING = Path(__file__).with_name("refusing_smtp.py")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")


class RefusingMail:
    """refusing_smtp.py in its own process: it refuses every recipient while `refuse`
    is on, and keeps what it takes as .eml files."""

    def __init__(self, directory: Path):
        self.dir, self.port = directory, free_port()
        self.dir.mkdir()
        command = [sys.executable, str(REFUSING), "--port", str(self.port), "--dir", str(self.dir)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for_port("127.0.0.1", self.port, 30, self.proc)

    def refuse(self, on: bool) -> None:
        flag = self.dir / "refuse"
        flag.touch() if on else flag.unlink(missing_ok=True)

    def wait_for(self, to: str, subject: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in sorted(self.dir.glob("*.eml")):
                msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if to in str(msg["To"]) and subject in str(msg["Subject"]):
                    return msg
            time.sleep(0.3)
        raise AssertionError(f"no message to {to} about {subject!r} in {timeout} s")


def a_client() -> dict:
    """A client address of its own (as the stack's trusted proxy tells it), so these
    sign-ins count against no other test's hourly limit."""
    return {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.7"}


@pytest.fixture
def mail(tmp_path):
    server = RefusingMail(tmp_path / "mail")
    yield server
    server.proc.terminate()
    server.proc.wait(10)


def signed_in_staff(running, mail) -> requests.Session:
    email_address = f"outbox-{uuid.uuid4().hex[:8]}@example.org"
    operator = {
        "Authorization": f"Bearer {issue_operator_token(running.secret, 'admin', running.url)}"
    }
    body = {"email": email_address, "role": "coordinator"}
    requests.post(f"{running.url}/api/staff", json=body, headers=operator).raise_for_status()
    browser = requests.Session()
    browser.headers.update(a_client())
    form = browser.get(f"{running.url}/signin?lang=en")
    csrf = CSRF.search(form.text).group(1)
    browser.post(f"{running.url}/signin?lang=en", data={"email": email_address, "csrf": csrf})
    msg = mail.wait_for(email_address, "sign-in link")
    browser.post(LINK.search(msg.get_body(("plain",)).get_content()).group(0))
    return browser


def test_failed_mail_shows_its_reason_and_is_resent(own_stack, mail):
    running = own_stack(
        SMTP_HOST="127.0.0.1", SMTP_PORT=str(mail.port),
        NOTIFY_MAX_ATTEMPTS="1", NOTIFY_RETRY_SECONDS="1",
    )  # fmt: skip
    browser = signed_in_staff(running, mail)
    coordinator = {"Authorization": f"Bearer {issue_token(running.secret, 'coordinator')}"}
    org_email = f"refused-{uuid.uuid4().hex[:8]}@example.org"
    body = {"name": f"Atraidītā biedrība {uuid.uuid4().hex[:6]}", "email": org_email,
            "preferred_language": "en"}  # fmt: skip
    org = requests.post(f"{running.url}/api/organisations", json=body, headers=coordinator)
    org.raise_for_status()

    mail.refuse(True)
    page = browser.get(f"{running.url}/console/organisations?lang=en")
    verify = f"{running.url}/console/organisations/{org.json()['id']}/verify?lang=en"
    browser.post(verify, data={"csrf": CSRF.search(page.text).group(1)}).raise_for_status()

    deadline = time.monotonic() + 60
    while True:
        outbox = browser.get(f"{running.url}/console/outbox?lang=en")
        if org_email in outbox.text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    said = html.unescape(outbox.text)
    assert org_email in said and "Recipient address rejected" in said  # the reason

    mail.refuse(False)
    note_id = re.search(r'action="/console/outbox/([^/]+)/resend', outbox.text).group(1)
    resend = f"{running.url}/console/outbox/{note_id}/resend?lang=en"
    done = browser.post(resend, data={"csrf": CSRF.search(outbox.text).group(1)})
    assert done.status_code == 200 and "The message is queued to be sent again." in done.text
    mail.wait_for(org_email, "Your organisation is verified")
