"""The notify service: every email Tilts sends, sent once, retried until it goes."""

import logging
from datetime import timedelta

from nameko.events import EventDispatcher
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from tilts_contracts import api, messaging, settings
from tilts_contracts.clock import iso, new_id, parse_iso, utcnow
from tilts_contracts.errors import Invalid
from tilts_contracts.messaging import MongoDatabase, consumes, retry_stale, rpc
from tilts_contracts.tokens import sign_response_link, sign_unsubscribe_link

from . import domain, mail
from .storage import NotificationStore

log = logging.getLogger(__name__)
CLAIM = timedelta(seconds=30)  # longer than an SMTP send may take (15 s timeout)
NOTE_FILTERS = ("status", "recipient", "template", "organisation_id")


class Postman(DependencyProvider):
    """Templates, SMTP settings and the retry schedule, from config."""

    def setup(self):
        config = self.container.config
        self.templates = mail.environment()
        self.sender = settings.get(config, "MAIL_FROM")
        self.reply_to = settings.get(config, "COORDINATOR_EMAIL") or None
        self.public_url = settings.get(config, "PUBLIC_URL").rstrip("/")
        self.secret = settings.get(config, "AUTH_SECRET")
        self.first_retry = timedelta(seconds=float(settings.get(config, "NOTIFY_RETRY_SECONDS")))
        self.max_attempts = int(settings.get(config, "NOTIFY_MAX_ATTEMPTS"))
        self.digest_hour = int(settings.get(config, "DIGEST_HOUR"))
        self.mailer = mail.Mailer(
            host=settings.get(config, "SMTP_HOST"),
            port=int(settings.get(config, "SMTP_PORT")),
            starttls=settings.flag(config, "SMTP_STARTTLS"),
            user=settings.get(config, "SMTP_USER"),
            password=settings.get(config, "SMTP_PASSWORD"),
        )

    def get_dependency(self, worker_ctx):
        return self

    def respond_url(self, match: dict) -> str:
        token = sign_response_link(
            self.secret, match["id"], match["organisation_id"], parse_iso(match["respond_by"])
        )
        return f"{self.public_url}/respond/{token}"

    def unsubscribe_url(self, org_id: str) -> str:
        token = sign_unsubscribe_link(self.secret, org_id, utcnow() + timedelta(days=90))
        return f"{self.public_url}/notifications/digest-off/{token}"


def match_context(postman: Postman, match: dict) -> dict:
    """What the match templates show: the need, the offer, why, and the link."""
    need, offer = match.get("need") or {}, match.get("offer") or {}
    regions_match = need.get("region") in (offer.get("regions") or [])
    return {
        "match": {k: match[k] for k in ("id", "quantity", "respond_by", "score_breakdown")},
        "need": need,
        "offer": offer,
        "organisation": match.get("organisation") or {},
        "why": domain.why_chosen(match.get("score_breakdown") or {}, regions_match),
        "respond_url": postman.respond_url(match),
    }


class NotifyService(messaging.Operable):  # via the module: `nameko run` serves all it sees
    name = "notify"

    store: NotificationStore = MongoDatabase(NotificationStore)
    postman: Postman = Postman()
    dispatch = EventDispatcher()

    # -- organisations, as the registry tells us ------------------------------------
    @consumes("registry", "organisation_registered")
    def on_organisation_registered(self, env, org):
        self.store.record_contact(org)
        self._to_organisation(env, org, "questionnaire_received", {"organisation": org})
        if org.get("source") == "questionnaire":
            self._to_reviewers(env, org)

    @consumes("registry", "organisation_updated")
    def on_organisation_updated(self, env, org):
        self.store.record_contact(org)
        if org.get("erased"):
            self.store.forget_organisation(org["id"])

    @consumes("registry", "organisation_verified")
    def on_organisation_verified(self, env, org):
        self.store.record_contact(org)
        context = {"organisation": org, "public_url": self.postman.public_url}
        self._to_organisation(env, org, "organisation_verified", context)

    @consumes("registry", "organisation_suspended")
    def on_organisation_suspended(self, env, org):
        self.store.record_contact(org)

    # -- matches ---------------------------------------------------------------------
    @consumes("matching", "match_proposed")
    def on_match_proposed(self, env, match):
        org = match.get("organisation") or {}
        if not org.get("email"):
            log.warning("match %s: organisation has no email address", match["id"])
            return
        context = match_context(self.postman, match)
        urgency = (match.get("need") or {}).get("urgency", "normal")
        hold = domain.wants_digest(self.store.contact(match["organisation_id"]), urgency)
        self._queue(
            f"{env['event_id']}.match_proposed",
            org,
            "match_proposed",
            context,
            hold=hold,
            organisation_id=match["organisation_id"],
        )
        if match.get("created_at"):
            self.store.plan_reminder(
                match["id"], domain.reminder_at(match["created_at"], match["respond_by"]), match
            )

    @consumes("matching", "match_cancelled")
    def on_match_cancelled(self, env, match):
        self.store.settle_reminder(match["id"])
        org = match.get("organisation") or {}
        if org.get("email"):
            context = match_context(self.postman, match)
            self._queue(
                f"{env['event_id']}.match_cancelled",
                org,
                "match_cancelled",
                context,
                organisation_id=match["organisation_id"],
            )

    @consumes("matching", "match_accepted")
    def on_match_accepted(self, env, match):
        self.store.settle_reminder(match["id"])

    @consumes("matching", "match_declined")
    def on_match_declined(self, env, match):
        self.store.settle_reminder(match["id"])

    @consumes("matching", "match_expired")
    def on_match_expired(self, env, match):
        self.store.settle_reminder(match["id"])

    @consumes("matching", "need_unmatched")
    def on_need_unmatched(self, env, gap):
        """A gap alert to every coordinator who follows the need's domain."""
        need = gap["need"]
        for sub in self.store.subscribers(need["domain"]):
            context = {
                "need": need,
                "covered": gap["covered"],
                "subscriber": sub,
                "public_url": self.postman.public_url,
            }
            self._queue(
                f"{env['event_id']}.need_unmatched.{sub['_id']}",
                {"email": sub["email"], "preferred_language": sub["language"]},
                "need_unmatched",
                context,
            )

    # -- the outbox over RPC ---------------------------------------------------------
    @rpc
    def list_notifications(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        query = {k: filters[k] for k in NOTE_FILTERS if filters.get(k)}
        docs, nxt = self.store.find_page("notifications", query, api.clamp_limit(limit), cursor)
        return {"items": [_present(d) for d in docs], "next": nxt}

    @rpc
    def resend(self, note_id: str) -> dict:
        def attempt():
            note = domain.resend(self.store.get(note_id), utcnow())
            return self.store.replace("notifications", note)

        retry_stale(attempt)
        return _present(self._deliver(note_id) or self.store.get(note_id))

    @rpc
    def get_preferences(self, org_id: str) -> dict:
        contact = self.store.contact(org_id) or {"delivery": "immediate"}
        return {"organisation_id": org_id, "delivery": contact.get("delivery", "immediate")}

    @rpc
    def set_preferences(self, org_id: str, data: dict) -> dict:
        prefs = api.load(api.Preferences(), data)
        contact = self.store.set_delivery(org_id, prefs["delivery"])
        return {"organisation_id": org_id, "delivery": contact["delivery"]}

    @rpc
    def subscribe(self, data: dict) -> dict:
        sub = api.load(api.Subscription(), data)
        if not sub["domains"]:
            raise Invalid("name at least one domain", {"domains": ["at least one"]})
        stored = self.store.subscribe({"_id": new_id("sub"), **sub})
        return _subscription(stored)

    @rpc
    def list_subscriptions(self) -> dict:
        return {"items": [_subscription(s) for s in self.store.subscriptions()], "next": None}

    @rpc
    def unsubscribe(self, sub_id: str) -> None:
        self.store.unsubscribe(sub_id)

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

    @rpc
    def send_digests(self) -> int:
        """Bundle held requests into one email per organisation; returns how many went."""
        digests = 0
        now = utcnow()
        groups: dict[str, list[dict]] = {}
        for note in self.store.held():
            groups.setdefault(note["organisation_id"] or note["recipient"], []).append(note)
        for org_id, notes in groups.items():
            first = notes[0]
            key = f"digest.{org_id}.{iso(now)}"
            context = {
                "organisation": first["context"].get("organisation", {}),
                "items": [n["context"] for n in notes],
                "unsubscribe_url": self.postman.unsubscribe_url(org_id),
            }
            note = domain.queue(
                key,
                first["recipient"],
                "digest",
                first["language"],
                context,
                now,
                reply_to=self.postman.reply_to,
                organisation_id=org_id,
            )
            note["message_id"] = mail.message_id(key, self.postman.sender)
            note["list_unsubscribe"] = context["unsubscribe_url"]
            if self.store.enqueue(note):
                self.store.mark_digested([n["_id"] for n in notes], key, now)
                self._deliver(key)
                digests += 1
        return digests

    # -- timers ------------------------------------------------------------------------
    @timer(interval=2)
    def deliver_due(self):
        """Send what is waiting: new messages, and retries whose backoff has passed."""
        for note in self.store.due(utcnow()):
            self._deliver(note["_id"])

    @timer(interval=30)
    def remind(self):
        """Half-way to a deadline, remind organisations that have not answered."""
        for reminder in self.store.reminders_due(utcnow()):
            match = reminder["match"]
            org = match.get("organisation") or {}
            if org.get("email"):
                self._queue(
                    f"reminder.{match['id']}",
                    org,
                    "match_reminder",
                    match_context(self.postman, match),
                    organisation_id=match["organisation_id"],
                )
            self.store.settle_reminder(match["id"])

    @timer(interval=300)
    def daily_digest(self):
        """Once a day at DIGEST_HOUR (UTC), send the held requests."""
        now = utcnow()
        if now.hour == self.postman.digest_hour and now.minute < 5:
            self.send_digests()

    @timer(interval=1)
    def relay_events(self):
        self.store.flush_outbox(self.dispatch)

    # -- helpers -----------------------------------------------------------------------
    def _to_reviewers(self, env, org: dict) -> None:
        """A questionnaire awaits review: tell the coordinators who follow its domains."""
        reviewers = {}
        for domain_slug in org.get("domains") or []:
            for sub in self.store.subscribers(domain_slug):
                reviewers[sub["_id"]] = sub
        for sub in reviewers.values():
            context = {
                "organisation": {
                    k: org.get(k) for k in ("id", "name", "domains", "regions", "held_offers")
                },
                "subscriber": sub,
                "public_url": self.postman.public_url,
            }
            self._queue(
                f"{env['event_id']}.review.{sub['_id']}",
                {"email": sub["email"], "preferred_language": sub["language"]},
                "questionnaire_review",
                context,
            )

    def _to_organisation(self, env, org: dict, template: str, context: dict) -> None:
        if org.get("email"):
            self._queue(
                f"{env['event_id']}.{template}", org, template, context, organisation_id=org["id"]
            )

    def _queue(
        self,
        key: str,
        contact: dict,
        template: str,
        context: dict,
        hold: bool = False,
        organisation_id: str | None = None,
    ) -> None:
        note = domain.queue(
            key,
            contact["email"],
            template,
            contact.get("preferred_language") or "lv",
            context,
            utcnow(),
            reply_to=self.postman.reply_to,
            hold=hold,
            organisation_id=organisation_id,
        )
        note["message_id"] = mail.message_id(key, self.postman.sender)
        if self.store.enqueue(note) and not hold:
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
            updated = domain.failed_attempt(
                note,
                f"{type(exc).__name__}: {exc}",
                utcnow(),
                self.postman.first_retry,
                self.postman.max_attempts,
            )
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
        "organisation_id",
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


def _subscription(sub: dict) -> dict:
    return {"id": sub["_id"], **{k: sub.get(k) for k in ("email", "name", "language", "domains")}}
