"""The notify service: every email Tilts sends, sent once, retried until it goes.

This module wires events, RPCs and timers to the jobs: `letters` (what to write to
whom), `delivery` (queue, send, record), `digests` (one email a day), `storage`.
"""

import logging

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from tilts_contracts import lifecycles
from tilts_contracts.clock import new_id, parse_iso, utcnow
from tilts_contracts.errors import Invalid
from tilts_contracts.schemas import common, notifications
from tilts_runtime import operable, testclock
from tilts_runtime.consumer import consumes
from tilts_runtime.dependencies import EventDispatcher, MongoDatabase
from tilts_runtime.operable import rpc

from . import delivery, letters, privacy, rendering, rules
from .config import PostmanConfig
from .delivery import Delivery
from .digests import Digests
from .storage import NotificationStore

log = logging.getLogger(__name__)
NOTE_FILTERS = ("status", "recipient", "template", "organisation_id")


class Postman(DependencyProvider):
    """The mail settings, the templates and the SMTP client, made once from config."""

    def setup(self):
        self.config = PostmanConfig.from_config(self.container.config)
        self.templates = rendering.environment()
        # every email to an organisation links to its own pages
        self.templates.globals["org_url"] = f"{self.config.public_url}/org"
        # read here, not as defaults, so a test may shorten the deadline
        self.mailer = delivery.Mailer(
            self.config.smtp, timeout=delivery.STEP_TIMEOUT, deadline=delivery.SESSION_DEADLINE
        )

    def get_dependency(self, worker_ctx):
        return self


# via the module: `nameko run` serves all it sees
class NotifyService(operable.Operable, testclock.MovableClock):
    name = "notify"

    store: NotificationStore = MongoDatabase(NotificationStore)
    postman: Postman = Postman()
    dispatch = EventDispatcher()  # declares its consumers' queues at start

    @property
    def delivery(self) -> Delivery:
        postman = self.postman
        return Delivery(
            self.store, postman.config, postman.templates, postman.mailer, self.dispatch
        )

    def _queue(self, messages: list[rules.Outgoing]) -> None:
        sender = self.delivery
        for msg in messages:
            sender.queue(msg)

    # -- organisations, as the registry tells us ------------------------------------
    @consumes("registry", "organisation_registered")
    def on_organisation_registered(self, env, org):
        self.store.record_contact(org)
        # only those who filled in the questionnaire asked to register: an organisation a
        # coordinator added or imported is not thanked for something it never did
        if org.get("source") == "questionnaire":
            context = {"organisation": org}
            self._queue(letters.to_organisation(env, org, "questionnaire_received", context))
            self._queue(letters.reviews(self.postman.config, env, org, self._reviewers(org)))

    @consumes("registry", "organisation_updated")
    def on_organisation_updated(self, env, org):
        if org.get("erased"):  # first, while the contact still says what to look for
            privacy.forget_organisation(self.store, org["id"], utcnow())
        self.store.record_contact(org)

    @consumes("registry", "organisation_verified")
    def on_organisation_verified(self, env, org):
        self.store.record_contact(org)
        context = {"organisation": org, "public_url": self.postman.config.public_url}
        self._queue(letters.to_organisation(env, org, "organisation_verified", context))

    @consumes("registry", "organisation_changes_rejected")
    def on_organisation_changes_rejected(self, env, rejected):
        """Tell the organisation, at its verified address, that its change was refused."""
        if self.store.erased(rejected["id"]):
            return
        self._queue(letters.changes_rejected(env, rejected))

    @consumes("registry", "organisation_suspended")
    def on_organisation_suspended(self, env, org):
        self.store.record_contact(org)

    @consumes("registry", "registration_repeated")
    def on_registration_repeated(self, env, attempt):
        """Tell the registered address (the public answer did not), at most once a day."""
        contact = self.store.contact(attempt["organisation_id"]) or {}
        self._queue(letters.registration_repeated(env, attempt, contact))

    @consumes("registry", "signin_requested")
    def on_signin_requested(self, env, signin):
        """Mail a sign-in link: the registry asks only for known addresses."""
        self._queue([letters.signin(self.postman.config, env, signin)])

    # -- matches ---------------------------------------------------------------------
    @consumes("matching", "match_proposed")
    def on_match_proposed(self, env, match):
        if not (match.get("organisation") or {}).get("email"):
            log.warning("match %s: organisation has no email address", match["id"])
            return
        if self.store.match_ended(match["id"]):  # its end overtook it: nothing to ask
            return
        if self.store.erased(match["organisation_id"]):  # no request, nor its reminder
            return
        hold = rules.wants_digest(
            self.store.contact(match["organisation_id"]),
            (match.get("need") or {}).get("urgency", "normal"),
            respond_by=parse_iso(match["respond_by"]),
            now=utcnow(),
            digest_hour=self.postman.config.digest_hour,
            proposed_at=parse_iso(match["created_at"]) if match.get("created_at") else None,
        )
        key = f"{env['event_id']}.match_proposed"
        self._queue([letters.about_match(self.postman.config, key, "match_proposed", match, hold)])
        if match.get("created_at"):
            remind_at = rules.reminder_at(match["created_at"], match["respond_by"])
            self.store.plan_reminder(match["id"], remind_at, match)

    @consumes("matching", "match_cancelled")
    def on_match_cancelled(self, env, match):
        # a request still held for the digest (or never sent) just drops out of it: no
        # "request withdrawn" for a request the organisation never saw; but one it accepted
        # (through the link or the API, whatever became of the email) it must hear is off
        sent = self._end_match(match, "cancelled")
        if not sent and not match.get("answered_at"):
            return
        if (match.get("organisation") or {}).get("email"):
            key = f"{env['event_id']}.match_cancelled"
            self._queue([letters.about_match(self.postman.config, key, "match_cancelled", match)])

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
        """Alert the domain's coordinators (COORDINATOR_EMAIL if none): no gap goes unseen."""
        need = gap["need"]
        subscribers = self.store.subscribers(need["domain"])
        if not subscribers:
            subscribers = letters.fallback_subscriber(self.postman.config)
            if not subscribers:
                log.warning("gap in %s (need %s): nobody to tell", need["domain"], need["id"])
                return
            log.warning("gap in %s: no subscriber, telling COORDINATOR_EMAIL", need["domain"])
        self._queue(letters.gap_alerts(self.postman.config, env, gap, subscribers, utcnow()))

    # -- the outbox over RPC ---------------------------------------------------------
    @rpc
    def list_notifications(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        """The outbox, oldest first (by when each message was queued)."""
        query = {k: filters[k] for k in NOTE_FILTERS if filters.get(k)}
        statuses = lifecycles.NOTIFICATION_STATUSES
        if "status" in query and query["status"] not in statuses:
            raise Invalid(
                f"unknown status {query['status'][:40]!r}",
                {"status": [f"one of {', '.join(statuses)}"]},
            )
        docs, nxt = self.store.notes_page(query, common.clamp_limit(limit), cursor)
        return {"items": [_present(d) for d in docs], "next": nxt}

    @rpc
    def resend(self, note_id: str) -> dict:
        """Send a message again; 409 while sending, digest-bound, or just sent (a double click)."""

        def again(note: dict) -> dict:
            rounds = len(note.get("resends") or []) + 1
            fresh_id = self.delivery.message_id(f"{note_id}.resend{rounds}")
            return rules.resend(note, utcnow(), fresh_id)

        self.store.change("notifications", note_id, again)
        return _present(self.delivery.deliver(note_id) or self.store.get(note_id))

    @rpc
    def get_preferences(self, org_id: str) -> dict:
        contact = self.store.contact(org_id) or {"delivery": "immediate"}
        return {"organisation_id": org_id, "delivery": contact.get("delivery", "immediate")}

    @rpc
    def set_preferences(self, org_id: str, data: dict) -> dict:
        prefs = common.load(notifications.Preferences(), data)
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
        sub = common.load(notifications.Subscription(), data)
        if not sub["domains"]:
            raise Invalid("name at least one domain", {"domains": ["at least one"]})
        stored = self.store.subscribe({"_id": new_id("sub"), **sub})
        return _subscription(stored)

    @rpc
    def list_subscriptions(self, limit: int = 50, cursor: str | None = None) -> dict:
        docs, nxt = self.store.find_page("subscriptions", {}, common.clamp_limit(limit), cursor)
        return {"items": [_subscription(s) for s in docs], "next": nxt}

    @rpc
    def unsubscribe(self, sub_id: str) -> None:
        self.store.unsubscribe(sub_id)

    @rpc
    def counts(self) -> dict:
        return self.store.counts()

    @rpc
    def send_digests(self) -> int:
        """Today's digests now, for whoever has none yet today; how many were sent."""
        now = utcnow()
        return Digests(self.store, self.delivery).send(now, now.date())

    # -- timers ------------------------------------------------------------------------
    @timer(interval=2)
    def deliver_due(self):
        """Send what is waiting: new messages, and retries whose backoff has passed."""
        for note in self.store.due(utcnow()):
            self.delivery.deliver(note["_id"])

    @timer(interval=30)
    def remind(self):
        """Half-way to a deadline, remind organisations that have not answered."""
        for reminder in self.store.reminders_due(utcnow()):
            match = reminder["match"]
            if (match.get("organisation") or {}).get("email"):
                key = f"reminder.{match['id']}"
                msg = letters.about_match(self.postman.config, key, "match_reminder", match)
                self._queue([msg])
            self.store.settle_reminder(match["id"])

    @timer(interval=60)
    def daily_digest(self):
        """Each day's digests, from DIGEST_HOUR (Riga) on: a notify down at the hour catches up."""
        now = utcnow()
        day = rules.digest_day(now, self.postman.config.digest_hour)
        if day is not None:
            Digests(self.store, self.delivery).send(now, day)

    @timer(interval=24 * 3600, eager=True)
    def forget_old_mail(self):
        """Daily (and at start): sent messages lose recipient and body after 90 days."""
        cleared = privacy.clear_sent(self.store, self._now())  # tests may move the clock
        if cleared:
            log.info("cleared the recipient and body of %d messages sent long ago", cleared)

    # -- helpers -----------------------------------------------------------------------
    def _reviewers(self, org: dict) -> list[dict]:
        """Who follows the questionnaire's domains (else COORDINATOR_EMAIL): none waits unseen."""
        reviewers = {}
        for domain_slug in rules.review_summary(org)["domains"]:
            for sub in self.store.subscribers(domain_slug):
                reviewers[sub["_id"]] = sub
        return list(reviewers.values()) or letters.fallback_subscriber(self.postman.config)

    def _end_match(self, match: dict, how: str) -> bool:
        """No reminder, nor an unsent request, for an ended match; True if the request went."""
        self.store.settle_reminder(match["id"])
        return self.store.end_match(match["id"], how, utcnow())


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


def _subscription(sub: dict) -> dict:
    fields = ("email", "name", "language", "domains")
    return {
        "id": sub["_id"],
        **{k: sub.get(k) for k in fields},
        "delivery": sub.get("delivery") or "immediate",
    }
