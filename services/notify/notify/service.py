"""The notify service: every email Tilts sends, sent once, retried until it goes."""

import logging
import re
import uuid
from datetime import timedelta

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from tilts_contracts import api, messaging, settings
from tilts_contracts.clock import new_id, parse_iso, utcnow
from tilts_contracts.errors import Invalid
from tilts_contracts.messaging import MongoDatabase, consumes, retry_stale, rpc
from tilts_contracts.tokens import sign_response_link, sign_unsubscribe_link

from . import domain, mail
from .storage import NotificationStore

log = logging.getLogger(__name__)
# a worker's hold on a message while it sends it: three SMTP session deadlines, so the
# claim never runs out while a session may still deliver (and another worker send again)
CLAIM = timedelta(seconds=3 * mail.SESSION_DEADLINE)
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
NOTE_FILTERS = ("status", "recipient", "template", "organisation_id")
NOTE_STATUSES = ("pending", "held", "in_digest", "sent", "failed", "dropped")
# a plain address: what a coordinator's token `sub` must look like to be replied to
EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")


class Postman(DependencyProvider):
    """Templates, SMTP settings and the retry schedule, from config."""

    def setup(self):
        config = self.container.config
        self.templates = mail.environment()
        self.sender = settings.get(config, "MAIL_FROM")
        self.reply_to = settings.get(config, "COORDINATOR_EMAIL") or None
        # who reviews a questionnaire when no coordinator follows its domains
        self.coordinator_email = settings.get(config, "COORDINATOR_EMAIL")
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
            timeout=mail.STEP_TIMEOUT,
            deadline=mail.SESSION_DEADLINE,
        )

    def get_dependency(self, worker_ctx):
        return self

    def respond_url(self, match: dict) -> str:
        token = sign_response_link(
            self.secret, match["id"], match["organisation_id"], parse_iso(match["respond_by"])
        )
        return f"{self.public_url}/respond/{token}"

    def unsubscribe_url(self, holder_id: str, lang: str) -> str:
        """A digest's opt-out link, for an organisation or a coordinator's subscription."""
        token = sign_unsubscribe_link(self.secret, holder_id, utcnow() + timedelta(days=90))
        return f"{self.public_url}/notifications/digest-off/{token}?lang={lang}"

    def reply_to_for(self, need: dict | None) -> str | None:
        """Replies go to the coordinator who posted the need (their token's `sub`, when
        it is an address), else to COORDINATOR_EMAIL; never to the robot in MAIL_FROM."""
        posted_by = (need or {}).get("posted_by") or ""
        if EMAIL.match(posted_by):
            return posted_by
        return self.reply_to


def match_context(postman: Postman, match: dict) -> dict:
    """What the match templates show: the need, the offer, why, and the link."""
    need, offer = match.get("need") or {}, match.get("offer") or {}
    regions_match = need.get("region") in (offer.get("regions") or [])
    why = domain.why_chosen(
        match.get("score_breakdown") or {}, regions_match, bool(need.get("languages"))
    )
    return {
        "match": {k: match[k] for k in ("id", "quantity", "respond_by", "score_breakdown")},
        "accepted": bool(match.get("answered_at")),  # cancelled after it said yes
        "need": {k: v for k, v in need.items() if k not in ("case_ref", "posted_by")},
        "offer": offer,
        "organisation": match.get("organisation") or {},
        "why": why,
        "respond_url": postman.respond_url(match),
    }


class NotifyService(messaging.Operable):  # via the module: `nameko run` serves all it sees
    name = "notify"

    store: NotificationStore = MongoDatabase(NotificationStore)
    postman: Postman = Postman()
    dispatch = messaging.EventDispatcher()  # declares its consumers' queues at start

    # -- organisations, as the registry tells us ------------------------------------
    @consumes("registry", "organisation_registered")
    def on_organisation_registered(self, env, org):
        self.store.record_contact(org)
        # only those who filled in the questionnaire asked to register: an organisation a
        # coordinator added or imported is not thanked for something it never did
        if org.get("source") == "questionnaire":
            self._to_organisation(env, org, "questionnaire_received", {"organisation": org})
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

    @consumes("registry", "registration_repeated")
    def on_registration_repeated(self, env, attempt):
        """The questionnaire named a registered organisation: tell its registered address
        (the public answer did not), at most once a day, so it cannot be used to flood it."""
        org_id = attempt["organisation_id"]
        contact = self.store.contact(org_id) or {}
        if not contact.get("email"):
            return
        context = {
            "organisation": {"id": org_id, "name": contact.get("name") or ""},
            "matched": attempt["matched"],
        }
        self._queue(
            f"registration_repeated.{org_id}.{env['occurred_at'][:10]}",
            contact,
            "registration_repeated",
            context,
            organisation_id=org_id,
        )

    # -- matches ---------------------------------------------------------------------
    @consumes("matching", "match_proposed")
    def on_match_proposed(self, env, match):
        org = match.get("organisation") or {}
        if not org.get("email"):
            log.warning("match %s: organisation has no email address", match["id"])
            return
        if self.store.match_ended(match["id"]):  # its end overtook it: nothing to ask
            return
        context = match_context(self.postman, match)
        urgency = (match.get("need") or {}).get("urgency", "normal")
        hold = domain.wants_digest(
            self.store.contact(match["organisation_id"]),
            urgency,
            respond_by=parse_iso(match["respond_by"]),
            now=utcnow(),
            digest_hour=self.postman.digest_hour,
            proposed_at=parse_iso(match["created_at"]) if match.get("created_at") else None,
        )
        self._queue(
            f"{env['event_id']}.match_proposed",
            org,
            "match_proposed",
            context,
            hold=hold,
            organisation_id=match["organisation_id"],
            reply_to=self.postman.reply_to_for(match.get("need")),
        )
        if match.get("created_at"):
            self.store.plan_reminder(
                match["id"], domain.reminder_at(match["created_at"], match["respond_by"]), match
            )

    @consumes("matching", "match_cancelled")
    def on_match_cancelled(self, env, match):
        # a request still held for the digest (or never sent) just drops out of it: no
        # "request withdrawn" for a request the organisation never saw; but one it accepted
        # (through the link or the API, whatever became of the email) it must hear is off
        sent = self._end_match(match, "cancelled")
        if not sent and not match.get("answered_at"):
            return
        org = match.get("organisation") or {}
        if org.get("email"):
            context = match_context(self.postman, match)
            self._queue(
                f"{env['event_id']}.match_cancelled",
                org,
                "match_cancelled",
                context,
                organisation_id=match["organisation_id"],
                reply_to=self.postman.reply_to_for(match.get("need")),
            )

    @consumes("matching", "match_accepted")
    def on_match_accepted(self, env, match):
        self._end_match(match, "accepted")

    @consumes("matching", "match_declined")
    def on_match_declined(self, env, match):
        self._end_match(match, "declined")

    @consumes("matching", "match_expired")
    def on_match_expired(self, env, match):
        self._end_match(match, "expired")

    @consumes("matching", "need_unmatched")
    def on_need_unmatched(self, env, gap):
        """A gap alert to every coordinator who follows the need's domain (at once, or in
        their daily digest); to COORDINATOR_EMAIL when nobody does, so no gap goes unseen."""
        need = gap["need"]
        subscribers = self.store.subscribers(need["domain"])
        if not subscribers:
            if not self.postman.reply_to:
                log.warning("gap in %s (need %s): nobody to tell", need["domain"], need["id"])
                return
            log.warning("gap in %s: no subscriber, telling COORDINATOR_EMAIL", need["domain"])
            subscribers = [{"_id": "coordinator", "email": self.postman.reply_to, "language": "lv"}]
        for sub in subscribers:
            context = {
                "need": need,
                "covered": gap["covered"],
                "subscriber": {k: sub.get(k) for k in ("name", "language")},
                "public_url": self.postman.public_url,
            }
            digest = domain.gap_alert_waits(
                sub.get("delivery"),
                need.get("urgency", "normal"),
                need.get("needed_by"),
                utcnow(),
                self.postman.digest_hour,
            )
            self._queue(
                f"{env['event_id']}.need_unmatched.{sub['_id']}",
                {"email": sub["email"], "preferred_language": sub.get("language")},
                "need_unmatched",
                context,
                hold=digest,
                digest_holder=sub["_id"] if digest else None,
                reply_to=self.postman.reply_to_for(need),
            )

    # -- the outbox over RPC ---------------------------------------------------------
    @rpc
    def list_notifications(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        """The outbox, oldest first (by when each message was queued)."""
        query = {k: filters[k] for k in NOTE_FILTERS if filters.get(k)}
        if "status" in query and query["status"] not in NOTE_STATUSES:
            raise Invalid(
                f"unknown status {query['status'][:40]!r}",
                {"status": [f"one of {', '.join(NOTE_STATUSES)}"]},
            )
        docs, nxt = self.store.notes_page(query, api.clamp_limit(limit), cursor)
        return {"items": [_present(d) for d in docs], "next": nxt}

    @rpc
    def resend(self, note_id: str) -> dict:
        """Send a failed (or sent) message again; 409 while it is being sent or waits
        for a digest, or a moment after it went (a double click sends one)."""

        def attempt():
            note = self.store.get(note_id)
            again = len(note.get("resends") or []) + 1
            fresh_id = mail.message_id(f"{note_id}.resend{again}", self.postman.sender)
            return self.store.replace("notifications", domain.resend(note, utcnow(), fresh_id))

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
    def digest_off(self, holder_id: str) -> None:
        """A digest's opt-out link: the organisation or coordinator gets single emails."""
        if holder_id.startswith("sub_"):
            self.store.set_subscription_delivery(holder_id, "immediate")
        else:
            self.store.set_delivery(holder_id, "immediate")

    @rpc
    def subscribe(self, data: dict) -> dict:
        sub = api.load(api.Subscription(), data)
        if not sub["domains"]:
            raise Invalid("name at least one domain", {"domains": ["at least one"]})
        stored = self.store.subscribe({"_id": new_id("sub"), **sub})
        return _subscription(stored)

    @rpc
    def list_subscriptions(self, limit: int = 50, cursor: str | None = None) -> dict:
        docs, nxt = self.store.find_page("subscriptions", {}, api.clamp_limit(limit), cursor)
        return {"items": [_subscription(s) for s in docs], "next": nxt}

    @rpc
    def unsubscribe(self, sub_id: str) -> None:
        self.store.unsubscribe(sub_id)

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

    @rpc
    def send_digests(self) -> int:
        """Today's digest now, for every recipient with held messages and none yet today;
        returns how many went (the timer calls this from DIGEST_HOUR on)."""
        now = utcnow()
        return self._send_digests(now, now.date())

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
                    reply_to=self.postman.reply_to_for(match.get("need")),
                )
            self.store.settle_reminder(match["id"])

    @timer(interval=60)
    def daily_digest(self):
        """From DIGEST_HOUR (Riga time) until midnight, each recipient's digest for the day,
        once: a notify that was down at the hour catches up, several workers make one."""
        now = utcnow()
        day = domain.digest_day(now, self.postman.digest_hour)
        if day is not None:
            self._send_digests(now, day)

    @timer(interval=1)
    def relay_events(self):
        self.store.flush_outbox(self.dispatch)

    # -- helpers -----------------------------------------------------------------------
    def _to_reviewers(self, env, org: dict) -> None:
        """A questionnaire awaits review: tell the coordinators who follow its domains or
        its offers' domains; COORDINATOR_EMAIL when nobody does, so none waits unseen."""
        summary = domain.review_summary(org)
        reviewers = {}
        for domain_slug in summary["domains"]:
            for sub in self.store.subscribers(domain_slug):
                reviewers[sub["_id"]] = sub
        if not reviewers and self.postman.coordinator_email:
            reviewers["coordinator"] = {
                "_id": "coordinator",
                "email": self.postman.coordinator_email,
                "name": "",
                "language": "lv",
            }
        for sub in reviewers.values():
            context = {
                "organisation": summary,
                "subscriber": {k: sub.get(k) for k in ("name", "language")},
                "public_url": self.postman.public_url,
            }
            self._queue(
                f"{env['event_id']}.review.{sub['_id']}",
                {"email": sub["email"], "preferred_language": sub["language"]},
                "questionnaire_review",
                context,
                about_organisation=org["id"],
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
        about_organisation: str | None = None,
        reply_to: str | None = None,
        digest_holder: str | None = None,
    ) -> None:
        if organisation_id and (self.store.contact(organisation_id) or {}).get("erased"):
            # an event written before the erasure still carries the old address: the
            # organisation asked to be forgotten, so nothing is sent or kept for it
            log.info("not writing to erased organisation %s", organisation_id)
            return
        note = domain.queue(
            key,
            contact["email"],
            template,
            contact.get("preferred_language") or "lv",
            context,
            utcnow(),
            reply_to=reply_to or self.postman.reply_to,
            hold=hold,
            organisation_id=organisation_id,
        )
        note["message_id"] = mail.message_id(key, self.postman.sender)
        if about_organisation:  # written to someone else about it: erasure finds it here
            note["about_organisation"] = about_organisation
        if hold:  # whose digest it waits for
            note["digest_holder"] = digest_holder or organisation_id or contact["email"]
        if self.store.enqueue(note) and not hold:
            self._deliver(key)

    def _end_match(self, match: dict, how: str) -> bool:
        """A match ended: no reminder, and its request, if still unsent (held for the
        digest, or waiting), never goes. True if the organisation was sent the request."""
        self.store.settle_reminder(match["id"])
        return self.store.end_match(match["id"], how, utcnow())

    # -- digests -------------------------------------------------------------------
    def _send_digests(self, now, day) -> int:
        """One digest per recipient and day, made once however many workers try: the
        digest's outbox key names the day, and the first to insert it builds it."""
        made = 0
        groups: dict[str, list[dict]] = {}
        for note in self.store.held():
            groups.setdefault(_holder(note), []).append(note)
        for holder, notes in groups.items():
            key = domain.digest_key(holder, day)
            if self.store.exists(key):
                continue  # today's went already: these wait for tomorrow's
            first = notes[0]
            shell = domain.queue(
                key,
                first["recipient"],
                "digest",
                first["language"],
                {},
                now,
                reply_to=self.postman.reply_to,
                organisation_id=first.get("organisation_id"),
            )
            shell.update(
                status="building",
                digest_holder=holder,
                maker=uuid.uuid4().hex,
                message_id=mail.message_id(key, self.postman.sender),
                list_unsubscribe=self.postman.unsubscribe_url(holder, first["language"]),
            )
            # the maker's mark tells a retried insert of ours from another worker's
            if self.store.enqueue(shell) or self.store.get(key).get("maker") == shell["maker"]:
                made += self._build_digest(key, [n["_id"] for n in notes])
        for stale in self.store.unfinished_digests(now - CLAIM):  # its maker stopped
            made += self._build_digest(stale["_id"], None)
        return made

    def _build_digest(self, key: str, note_ids: list[str] | None) -> int:
        """Gather the held messages into the digest `key`, then send it; they count as
        sent only when it is (until then they are `in_digest`)."""
        digest = self.store.get(key)
        if note_ids is None:
            holder = digest["digest_holder"]
            note_ids = [n["_id"] for n in self.store.held() if _holder(n) == holder]
        self.store.gather(note_ids, key)
        notes = self.store.gathered(key)
        if not notes:
            self.store.discard_unfinished(key)  # all withdrawn meanwhile: nothing to send
            return 0
        first = notes[0]["context"]
        context = {
            "organisation": first.get("organisation") or {},
            "subscriber": first.get("subscriber") or {},
            "items": [{**n["context"], "kind": n["template"], "note_id": n["_id"]} for n in notes],
            "unsubscribe_url": digest["list_unsubscribe"],
        }
        if not self.store.finish_digest(key, context, utcnow()):
            return 0
        self._deliver(key)
        return 1

    def _deliver(self, note_id: str) -> dict | None:
        now, token = utcnow(), uuid.uuid4().hex
        note = self.store.claim(note_id, now, now + CLAIM, token)
        if note is None:
            return None
        events: list[str] = []
        went = False
        try:
            msg = self._compose(note, now)
        except Exception as exc:  # a template or data fault: the same again cannot help
            reason = f"cannot compose the message: {type(exc).__name__}: {exc}"
            log.warning("notification %s: %s", note_id, _redact(reason, note))
            updated = domain.unsendable(note, reason, utcnow())
            events = ["notification_failed"]
        else:
            if msg is None:  # a digest whose every request was withdrawn
                updated = domain.dropped(note, "every request in it was withdrawn", utcnow())
            else:
                try:
                    self.postman.mailer.send(msg)
                except Exception as exc:  # SMTP down, refused, timed out: count it and wait
                    error = f"{type(exc).__name__}: {exc}"
                    log.warning("sending %s failed: %s", note_id, _redact(error, note))
                    updated = domain.failed_attempt(
                        note,
                        error,
                        utcnow(),
                        self.postman.first_retry,
                        self.postman.max_attempts,
                    )
                    events = ["notification_failed"] if updated["status"] == "failed" else []
                else:
                    updated = domain.sent(note, utcnow())
                    events = ["notification_sent"]
                    went = True
        stored = retry_stale(lambda: self._record(note_id, token, updated, events, went))
        if note["template"] == "digest" and stored["status"] in ("sent", "failed"):
            self.store.settle_digest(note_id, stored["status"], utcnow())
        self.store.publish(self.dispatch, "notifications", note_id)
        return stored

    def _compose(self, note: dict, now):
        """The message for `note` as of now; None for a digest with nothing left in it."""
        context = note["context"]
        if note["template"] == "digest":
            withdrawn = self.store.dropped_among([i.get("note_id") for i in context["items"]])
            items = [i for i in context["items"] if i.get("note_id") not in withdrawn]
            if not items:
                return None
            context = {**context, "items": items}
        subject, text, html = mail.render(
            self.postman.templates, note["template"], note["language"], context
        )
        return mail.compose(self.postman.sender, note, subject, text, html, now)

    def _record(self, note_id: str, token: str, updated: dict, events: list, went: bool) -> dict:
        """Write how the send went, if this worker still holds the message. If it does
        not (its claim ran out, a coordinator or an erasure changed it), a failure is left
        to whoever holds it now, and a message that went is recorded sent only if nothing
        settled it meanwhile: it must never be set up for another send."""
        current = self.store.get(note_id)
        if current.get("claimed_by") != token or current["status"] != "pending":
            if not (went and current["status"] == "pending"):
                log.warning(
                    "notification %s changed hands while being sent; not recording it %s",
                    note_id,
                    updated["status"],
                )
                return current
            log.warning("notification %s was sent after its claim ran out", note_id)
        fields = {k: updated[k] for k in OUTCOME if k in updated}
        return self.store.replace(
            "notifications", {**current, **fields, "claimed_by": None}, events
        )


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
        "sent_at",
        "reply_to",
        "digest_id",
    )
    earlier = [
        {k: r.get(k) for k in ("at", "status", "attempts", "last_error", "message_id")}
        for r in note.get("resends") or []
    ]
    return {"id": note["_id"], **{k: note.get(k) for k in keys}, "resends": earlier}


def _redact(text: str, note: dict) -> str:
    """An error about `note`, for the log: no address, nor the name it was sent to."""
    return domain.redact(text, note.get("recipient"), mail.recipient_name(note))


def _holder(note: dict) -> str:
    """Whose digest a held message goes in: an organisation, or a coordinator's subscription."""
    return note.get("digest_holder") or note.get("organisation_id") or note["recipient"]


def _subscription(sub: dict) -> dict:
    fields = ("email", "name", "language", "domains")
    return {
        "id": sub["_id"],
        **{k: sub.get(k) for k in fields},
        "delivery": sub.get("delivery") or "immediate",
    }
