"""How an email is sent: queued once, claimed by one worker, composed, handed to the SMTP
server, and the outcome recorded with its event (notification_sent or _failed)."""

import logging
import smtplib
import ssl
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage

import eventlet

from tilts_contracts.clock import utcnow
from tilts_runtime import metrics

from . import rendering, rules
from .config import PostmanConfig, SmtpConfig
from .rules import Outgoing

log = logging.getLogger(__name__)
# how long one SMTP step (connect, greeting, STARTTLS, login, each command) may wait
STEP_TIMEOUT = 15
# how long a whole session may take, however many steps each wait up to STEP_TIMEOUT
SESSION_DEADLINE = 60
# a worker's hold on a message while it sends it: three SMTP session deadlines, so the
# claim never runs out while a session may still deliver (and another worker send again)
CLAIM = timedelta(seconds=3 * SESSION_DEADLINE)
# what a send changes in a message; the rest (address, content) is not written back, so
# an erasure made meanwhile stays
OUTCOME = (
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "claimed_until",
    "claimed_by",
    "updated_at",
    "sent_at",
)


class SessionTimeout(Exception):
    """The SMTP session took longer than its deadline and was abandoned."""


class InsecureLogin(Exception):
    """SMTP_USER is set but the session would not be encrypted: the password stays home."""


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """Certificates and host names checked, against SMTP_CA_FILE or the system's CAs."""
    try:
        return ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise SystemExit(f"tilts: SMTP_CA_FILE {ca_file!r} cannot be read: {exc}") from exc


class Mailer:
    """Sends through the configured SMTP server, a new connection per message."""

    def __init__(
        self, smtp: SmtpConfig, timeout: float = STEP_TIMEOUT, deadline: float = SESSION_DEADLINE
    ):
        self.smtp = smtp
        self.timeout, self.deadline = timeout, deadline
        self.tls = tls_context(smtp.ca_file) if smtp.encrypted else None
        if smtp.user and not smtp.encrypted:
            log.warning(
                "SMTP_USER is set without SMTP_STARTTLS or SMTP_TLS: mail will not be sent, "
                "since the password would cross the network in the clear"
            )

    def send(self, msg: EmailMessage) -> None:
        """Send `msg` within `deadline` seconds in all (an eventlet timeout: nameko's
        green sockets), or raise. Once the server has accepted it (250 after DATA) it is
        sent: a bad answer to QUIT, a dropped connection or the deadline after that is
        no reason to send it again."""
        if self.smtp.user and not self.smtp.encrypted:
            raise InsecureLogin(
                "refusing to log in to the SMTP server over a plaintext connection; "
                "set SMTP_STARTTLS=true or SMTP_TLS=true"
            )
        smtp = None
        accepted = False
        late = SessionTimeout(f"the SMTP session took longer than {self.deadline:g} s")
        try:
            with eventlet.Timeout(self.deadline, late):
                smtp = self._connect()
                if self.smtp.user:
                    smtp.login(self.smtp.user, self.smtp.password)
                smtp.send_message(msg)
                accepted = True
                smtp.quit()
        except Exception as exc:
            if not accepted:
                raise
            log.warning(
                "notification %s was accepted; ending the SMTP session failed (%s)",
                msg["X-Tilts-Notification"],
                type(exc).__name__,
            )
        finally:
            if smtp is not None:
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        """A session with the server, encrypted as configured; the host name given to
        the constructor is the one its certificate must name."""
        host, port, timeout = self.smtp.host, self.smtp.port, self.timeout
        if self.smtp.implicit_tls:
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=self.tls)
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if self.smtp.starttls:  # a server that offers no STARTTLS gets an error, not plaintext
            try:
                smtp.starttls(context=self.tls)
            except BaseException:  # the deadline too: this session is not the caller's yet
                smtp.close()
                raise
        return smtp


class Delivery:
    """One worker's view of the outbox: queue a message, send it once, record how it went."""

    def __init__(self, store, config: PostmanConfig, templates, mailer: Mailer, dispatch):
        self.store, self.config = store, config
        self.templates, self.mailer, self.dispatch = templates, mailer, dispatch

    def queue(self, msg: Outgoing) -> None:
        """Store `msg` once (its key comes from the event) and send it now unless held."""
        org_id = msg.organisation_id or msg.about_organisation
        if org_id and self.store.erased(org_id):
            # an event written before the erasure still carries the old address and name:
            # the organisation asked to be forgotten, so nothing is sent or kept of it
            log.info("not writing to or about erased organisation %s", org_id)
            return
        if not msg.reply_to:
            msg = replace(msg, reply_to=self.config.reply_to)
        note = rules.queue(msg, utcnow(), self.message_id(msg.key))
        if self.store.enqueue(note) and not msg.hold:
            self.deliver(msg.key)

    def message_id(self, key: str) -> str:
        return rendering.message_id(key, self.config.sender)

    def deliver(self, note_id: str) -> dict | None:
        """Send the message if no other worker holds it; what was stored, or None."""
        now, token = utcnow(), uuid.uuid4().hex
        note = self.store.claim(note_id, now, now + CLAIM, token)
        if note is None:
            return None
        updated, events, went = self._attempt(note, now)
        stored = self.store.change(
            "notifications",
            note_id,
            lambda current: _record(current, token, updated, went),
            events,
            current=note,  # as the claim left it: no second read
        )
        if note["template"] == "digest" and stored["status"] in rules.SETTLED:
            self.store.settle_digest(note_id, stored["status"], utcnow())
        self.store.publish(self.dispatch, "notifications", note_id, stored)
        return stored

    def _attempt(self, note: dict, now: datetime) -> tuple[dict, list[str], bool]:
        """Compose and send: the message's next state, its events, and whether it went."""
        updated, events, outcome = self._try(note, now)
        if outcome != "dropped":
            metrics.EMAILS.labels(note["template"], outcome).inc()
        return updated, events, outcome == "sent"

    def _try(self, note: dict, now: datetime) -> tuple[dict, list[str], str]:
        """The message's next state, its events, and the outcome: sent, retry, failed,
        unsendable or dropped."""
        try:
            msg = self._compose(note, now)
        except Exception as exc:  # a template or data fault: the same again cannot help
            reason = f"cannot compose the message: {type(exc).__name__}: {exc}"
            log.warning("notification %s: %s", note["_id"], _redact(reason, note))
            return rules.unsendable(note, reason, utcnow()), ["notification_failed"], "unsendable"
        if msg is None:  # a digest whose every request was withdrawn
            return rules.dropped(note, "every request in it was withdrawn", utcnow()), [], "dropped"
        began = time.perf_counter()
        try:
            self.mailer.send(msg)
        except Exception as exc:  # SMTP down, refused, timed out: count it and wait
            error = f"{type(exc).__name__}: {exc}"
            log.warning("sending %s failed: %s", note["_id"], _redact(error, note))
            config = self.config
            updated = rules.failed_attempt(
                note, error, utcnow(), config.first_retry, config.max_attempts
            )
            if updated["status"] == "failed":
                return updated, ["notification_failed"], "failed"
            return updated, [], "retry"
        finally:
            metrics.EMAIL_SECONDS.observe(time.perf_counter() - began)
        return rules.sent(note, utcnow()), ["notification_sent"], "sent"

    def _compose(self, note: dict, now: datetime) -> EmailMessage | None:
        """The message for `note` as of now; None for a digest with nothing left in it."""
        context = note["context"]
        if note["template"] == "digest":
            withdrawn = self.store.dropped_among([i.get("note_id") for i in context["items"]])
            items = [i for i in context["items"] if i.get("note_id") not in withdrawn]
            if not items:
                return None
            context = {**context, "items": items}
        subject, text, html = rendering.render(
            self.templates, note["template"], note["language"], context
        )
        return rendering.compose(self.config.sender, note, subject, text, html, now)


def _record(current: dict, token: str, updated: dict, went: bool) -> dict:
    """How the send went, if this worker still holds the message. If it does not (its
    claim ran out, a coordinator or an erasure changed it), a failure is left to whoever
    holds it now, and a message that went is recorded sent only if nothing settled it
    meanwhile: it must never be set up for another send."""
    if current.get("claimed_by") != token or current["status"] != "pending":
        if not (went and current["status"] == "pending"):
            log.warning(
                "notification %s changed hands while being sent; not recording it %s",
                current["_id"],
                updated["status"],
            )
            return current
        log.warning("notification %s was sent after its claim ran out", current["_id"])
    fields = {k: updated[k] for k in OUTCOME if k in updated}
    return {**current, **fields, "claimed_by": None}


def _redact(text: str, note: dict) -> str:
    """An error about `note`, for the log: no address, nor the name it was sent to."""
    return rules.redact(text, note.get("recipient"), rendering.recipient_name(note))
