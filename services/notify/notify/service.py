"""The notify service: every email Tilts sends, sent once, retried until it goes."""

import logging
from datetime import timedelta

from nameko.events import EventDispatcher
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.timer import timer

from tilts_contracts import api, settings
from tilts_contracts.clock import parse_iso, utcnow
from tilts_contracts.messaging import MongoDatabase, consumes, retry_stale
from tilts_contracts.tokens import sign_response_link

from . import domain, mail
from .storage import NotificationStore

log = logging.getLogger(__name__)
CLAIM = timedelta(minutes=2)
NOTE_FILTERS = ("status", "recipient", "template")


class Postman(DependencyProvider):
    """Templates and the SMTP connection settings, from config."""

    def setup(self):
        config = self.container.config
        self.templates = mail.environment()
        self.sender = settings.get(config, "MAIL_FROM")
        self.public_url = settings.get(config, "PUBLIC_URL").rstrip("/")
        self.secret = settings.get(config, "AUTH_SECRET")
        self.mailer = mail.Mailer(
            host=settings.get(config, "SMTP_HOST"),
            port=int(settings.get(config, "SMTP_PORT")),
            starttls=settings.flag(config, "SMTP_STARTTLS"),
            user=settings.get(config, "SMTP_USER"),
            password=settings.get(config, "SMTP_PASSWORD"),
        )

    def get_dependency(self, worker_ctx):
        return self


class NotifyService:
    name = "notify"

    store: NotificationStore = MongoDatabase(NotificationStore)
    postman: Postman = Postman()
    dispatch = EventDispatcher()

    @rpc
    def health(self) -> dict:
        return {"status": "ok" if self.store.ping() else "down"}

    @consumes("matching", "match_proposed")
    def on_match_proposed(self, env, match):
        org = match.get("organisation") or {}
        if not org.get("email"):
            log.warning("match %s: organisation has no email address", match["id"])
            return
        token = sign_response_link(
            self.postman.secret,
            match["id"],
            match["organisation_id"],
            parse_iso(match["respond_by"]),
        )
        context = {
            "match": {k: match[k] for k in ("id", "quantity", "respond_by", "score_breakdown")},
            "need": match["need"],
            "offer": match["offer"],
            "organisation": org,
            "respond_url": f"{self.postman.public_url}/respond/{token}",
        }
        self._queue(
            f"{env['event_id']}.match_proposed",
            org["email"],
            "match_proposed",
            org.get("preferred_language", "lv"),
            context,
        )

    @rpc
    def list_notifications(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in NOTE_FILTERS if filters.get(k)}
        docs, nxt = self.store.find_page("notifications", query, api.clamp_limit(limit), cursor)
        return {"items": [_present(d) for d in docs], "next": nxt}

    @rpc
    def resend(self, note_id: str) -> dict:
        def attempt():
            return self.store.replace(
                "notifications", domain.resend(self.store.get(note_id), utcnow())
            )

        retry_stale(attempt)
        return _present(self._deliver(note_id) or self.store.get(note_id))

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

    @timer(interval=2)
    def deliver_due(self):
        """Send what is waiting: new messages, and retries whose backoff has passed."""
        for note in self.store.due(utcnow()):
            self._deliver(note["_id"])

    @timer(interval=1)
    def relay_events(self):
        self.store.flush_outbox(self.dispatch)

    # -- helpers -----------------------------------------------------------------------
    def _queue(self, key: str, recipient: str, template: str, language: str, context: dict):
        note = domain.queue(key, recipient, template, language, context, utcnow())
        note["message_id"] = mail.message_id(key, self.postman.sender)
        if self.store.enqueue(note):
            self._deliver(key)

    def _deliver(self, note_id: str) -> dict | None:
        now = utcnow()
        note = self.store.claim(note_id, now, now + CLAIM)
        if note is None:
            return None
        try:
            subject, text, html = mail.render(
                self.postman.templates, note["template"], note["language"], note["context"]
            )
            msg = mail.compose(self.postman.sender, note, subject, text, html)
            self.postman.mailer.send(msg)
        except Exception as exc:  # SMTP down, refused, timed out: count it and wait
            log.warning("sending %s failed: %s", note_id, exc)
            updated = domain.failed_attempt(note, f"{type(exc).__name__}: {exc}", utcnow())
            events = ["notification_failed"] if updated["status"] == "failed" else []
        else:
            updated = domain.sent(note, utcnow())
            events = ["notification_sent"]
        stored = retry_stale(lambda: self._record(note_id, updated, events))
        self.store.publish(self.dispatch, "notifications", note_id)
        return stored

    def _record(self, note_id: str, updated: dict, events: list) -> dict:
        current = self.store.get(note_id)
        fields = {k: v for k, v in updated.items() if not k.startswith("_")}
        return self.store.replace("notifications", {**current, **fields}, events)


def _present(note: dict) -> dict:
    keys = (
        "recipient",
        "template",
        "language",
        "status",
        "attempts",
        "last_error",
        "message_id",
        "next_attempt_at",
        "created_at",
        "updated_at",
    )
    return {"id": note["_id"], **{k: note.get(k) for k in keys}}
