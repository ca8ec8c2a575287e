"""Mail goes only to an SMTP server whose certificate and host name check out, over
STARTTLS or implicit TLS, and a password never crosses a plaintext connection: notify
over real RabbitMQ, NX-27017 and an aiosmtpd server with a certificate made here."""

import subprocess
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from pymongo import MongoClient

from conftest import eventually
from notify.service import NotifyService
from tilts_contracts import settings
from tilts_contracts.events import envelope

from .test_delivery import address, match_payload

pytestmark = pytest.mark.integration
LOGIN = {"SMTP_USER": "tilts-mailer", "SMTP_PASSWORD": "a-password-never-in-the-clear"}


def self_signed(directory: Path, name: str, ip: str | None = None) -> tuple[str, str]:
    """A self-signed certificate for `name` (and `ip`) and its key, as PEM files."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    names = f"subjectAltName=DNS:{name}" + (f",IP:{ip}" if ip else "")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2"]
        + ["-subj", f"/CN={name}", "-addext", names],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def outbox(container, **filters) -> list[dict]:
    with entrypoint_hook(container, "list_notifications") as listing:
        return listing(filters, 100, None)["items"]


def stored_note(service_config, recipient: str) -> dict:
    with MongoClient(service_config["MONGO_URI"]) as client:
        return client[settings.database_name("notify")].notifications.find_one(
            {"recipient": recipient}
        )


def propose_once(container, dispatch_event, to: str) -> None:
    """A request to `to`, through the handler, which tries to send it at once."""
    with entrypoint_waiter(container, "on_match_proposed", timeout=30):
        dispatch_event("matching", envelope("match_proposed", match_payload(to)))


def logins(server) -> list[str]:
    log = server.dir / "auth.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    "mode, setting",
    [("starttls", {"SMTP_STARTTLS": True}), ("implicit", {"SMTP_TLS": True})],
)
def test_a_server_with_a_self_signed_certificate_gets_mail_only_once_its_ca_is_trusted(
    container_factory, service_config, dispatch_event, faulty_smtp, tmp_path, mode, setting
):
    cert, key = self_signed(tmp_path, "localhost", "127.0.0.1")
    server = faulty_smtp("--tls", mode, "--cert", cert, "--key", key, "--auth")
    config = {
        **service_config,
        **setting,
        **LOGIN,
        "SMTP_PORT": server.port,
        "NOTIFY_RETRY_SECONDS": 1,
    }
    untrusting = container_factory(NotifyService, config)
    untrusting.start()
    to = address()
    propose_once(untrusting, dispatch_event, to)
    untrusting.stop()
    note = stored_note(service_config, to)
    assert (note["status"], note["attempts"]) == ("pending", 1)  # it waits to be retried
    assert "CERTIFICATE_VERIFY_FAILED" in note["last_error"], note["last_error"]
    assert server.messages(to) == [] and logins(server) == []  # no password was sent

    trusting = container_factory(NotifyService, {**config, "SMTP_CA_FILE": cert})
    trusting.start()
    [msg] = server.wait_for(to)
    assert "Ģimenes ārsta apmeklējums" in msg["Subject"]
    sent = eventually(lambda: outbox(trusting, recipient=to)[0], lambda n: n["status"] == "sent")
    assert sent["status"] == "sent" and sent["last_error"] is None
    assert [line.split()[1:] for line in logins(server)] == [["tilts-mailer", "tls"]]


def test_a_trusted_certificate_for_another_host_name_is_refused(
    container_factory, service_config, dispatch_event, faulty_smtp, tmp_path
):
    cert, key = self_signed(tmp_path, "mail.tilts.test")  # notify connects to 127.0.0.1
    server = faulty_smtp("--tls", "starttls", "--cert", cert, "--key", key)
    config = {
        **service_config,
        "SMTP_PORT": server.port,
        "SMTP_STARTTLS": True,
        "SMTP_CA_FILE": cert,
    }
    notify = container_factory(NotifyService, config)
    notify.start()
    to = address()
    propose_once(notify, dispatch_event, to)
    [note] = outbox(notify, recipient=to)
    assert note["status"] == "pending" and "mismatch" in note["last_error"], note["last_error"]
    assert server.messages(to) == []


def test_no_login_over_a_plaintext_connection_even_when_the_server_offers_one(
    container_factory, service_config, dispatch_event, faulty_smtp
):
    server = faulty_smtp("--auth")  # plaintext, AUTH offered anyway
    config = {**service_config, **LOGIN, "SMTP_PORT": server.port, "NOTIFY_MAX_ATTEMPTS": 1}
    notify = container_factory(NotifyService, config)
    notify.start()
    to = address()
    propose_once(notify, dispatch_event, to)
    [note] = outbox(notify, recipient=to)
    assert note["status"] == "failed"
    assert note["last_error"].startswith("InsecureLogin: refusing to log in")
    assert "SMTP_STARTTLS=true or SMTP_TLS=true" in note["last_error"]
    assert logins(server) == [] and server.messages(to) == []
