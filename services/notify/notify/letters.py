"""What each event makes notify write, to whom: the messages to queue, with what their
templates show and the signed links they carry. No I/O: callers look up who is who."""

import logging
import re
from datetime import datetime, timedelta

from tilts_contracts.clock import parse_iso
from tilts_contracts.tokens import sign_response_link, sign_unsubscribe_link

from . import rules
from .config import PostmanConfig
from .rules import Outgoing

log = logging.getLogger(__name__)
# a plain address: what a coordinator's token `sub` must look like to be replied to
EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")
# how long a digest's opt-out link works
UNSUBSCRIBE_LINK_LIFE = timedelta(days=90)
# the stand-in subscription when nobody follows a domain: COORDINATOR_EMAIL
FALLBACK = "coordinator"


# -- links and replies ------------------------------------------------------------------
def respond_url(config: PostmanConfig, match: dict) -> str:
    token = sign_response_link(
        config.secret, match["id"], match["organisation_id"], parse_iso(match["respond_by"])
    )
    return f"{config.public_url}/respond/{token}"


def unsubscribe_url(config: PostmanConfig, holder_id: str, lang: str, now: datetime) -> str:
    """A digest's opt-out link, for an organisation or a coordinator's subscription."""
    token = sign_unsubscribe_link(config.secret, holder_id, now + UNSUBSCRIBE_LINK_LIFE)
    return f"{config.public_url}/notifications/digest-off/{token}?lang={lang}"


def reply_to_for(config: PostmanConfig, need: dict | None) -> str | None:
    """Replies go to the coordinator who posted the need (their token's `sub`, when it is
    an address), else to COORDINATOR_EMAIL; never to the robot in MAIL_FROM."""
    posted_by = (need or {}).get("posted_by") or ""
    if EMAIL.match(posted_by):
        return posted_by
    return config.reply_to


# -- to organisations --------------------------------------------------------------------
def match_context(config: PostmanConfig, match: dict) -> dict:
    """What the match templates show: the need, the offer, why, and the link."""
    need, offer = match.get("need") or {}, match.get("offer") or {}
    regions_match = need.get("region") in (offer.get("regions") or [])
    why = rules.why_chosen(
        match.get("score_breakdown") or {}, regions_match, bool(need.get("languages"))
    )
    return {
        "match": {k: match[k] for k in ("id", "quantity", "respond_by", "score_breakdown")},
        "accepted": bool(match.get("answered_at")),  # cancelled after it said yes
        "need": {k: v for k, v in need.items() if k not in ("case_ref", "posted_by")},
        "offer": offer,
        "organisation": match.get("organisation") or {},
        "why": why,
        "respond_url": respond_url(config, match),
    }


def about_match(config: PostmanConfig, key: str, template: str, match: dict, hold=False):
    """A message to the matched organisation about its match (request, reminder, end)."""
    return Outgoing.to_organisation(
        match["organisation_id"],
        match["organisation"],
        key,
        template,
        match_context(config, match),
        hold=hold,
        reply_to=reply_to_for(config, match.get("need")),
    )


def to_organisation(env: dict, org: dict, template: str, context: dict) -> list[Outgoing]:
    """One message of `template` to a registered organisation, if it gave an address."""
    if not org.get("email"):
        return []
    return [
        Outgoing.to_organisation(org["id"], org, f"{env['event_id']}.{template}", template, context)
    ]


def changes_rejected(env: dict, rejected: dict) -> list[Outgoing]:
    """A coordinator refused the organisation's own change of name, email or website:
    which fields (not the values asked for) and the coordinator's reason, if any."""
    context = {
        "organisation": {"id": rejected["id"], "name": rejected["name"]},
        "fields": rejected["fields"],
        "reason": rejected.get("reason") or "",
    }
    return to_organisation(env, rejected, "changes_rejected", context)


def registration_repeated(env: dict, attempt: dict, contact: dict) -> list[Outgoing]:
    """The questionnaire named a registered organisation: its registered address is told,
    at most once a day (the key names the day), so it cannot be used to flood it."""
    org_id = attempt["organisation_id"]
    if not contact.get("email"):
        return []
    context = {
        "organisation": {"id": org_id, "name": contact.get("name") or ""},
        "matched": attempt["matched"],
    }
    key = f"registration_repeated.{org_id}.{env['occurred_at'][:10]}"
    return [Outgoing.to_organisation(org_id, contact, key, "registration_repeated", context)]


def signin(config: PostmanConfig, env: dict, request: dict) -> Outgoing:
    """The sign-in link, in the language of the page it was asked from; its subject
    holds nothing anyone typed."""
    token, lang = request["token"], request["language"]
    context = {
        "signin_url": f"{config.public_url}/signin/{token}?lang={lang}",
        "kind": request["kind"],
        "expires_at": request["expires_at"],
    }
    return Outgoing(
        f"{env['event_id']}.signin", request["email"], "signin", request["language"], context
    )


# -- to coordinators ---------------------------------------------------------------------
def fallback_subscriber(config: PostmanConfig) -> list[dict]:
    """COORDINATOR_EMAIL as a subscription, for when nobody follows a domain."""
    if not config.coordinator_email:
        return []
    return [{"_id": FALLBACK, "email": config.coordinator_email, "name": "", "language": "lv"}]


def reviews(config: PostmanConfig, env: dict, org: dict, reviewers: list[dict]) -> list[Outgoing]:
    """A questionnaire awaits review: a message to each reviewer about the organisation."""
    summary = rules.review_summary(org)
    return [
        Outgoing(
            f"{env['event_id']}.review.{sub['_id']}",
            sub["email"],
            "questionnaire_review",
            sub.get("language") or "lv",
            {
                "organisation": summary,
                "subscriber": {k: sub.get(k) for k in ("name", "language")},
                "public_url": config.public_url,
            },
            reply_to=config.reply_to,
            about_organisation=org["id"],
        )
        for sub in reviewers
    ]


def gap_alerts(
    config: PostmanConfig, env: dict, gap: dict, subscribers: list[dict], now: datetime
) -> list[Outgoing]:
    """A gap alert to each coordinator who follows the need's domain, at once or held for
    their daily digest."""
    need = gap["need"]
    alerts = []
    for sub in subscribers:
        context = {
            "need": need,
            "covered": gap["covered"],
            "subscriber": {k: sub.get(k) for k in ("name", "language")},
            "public_url": config.public_url,
        }
        hold = rules.gap_alert_waits(
            sub.get("delivery"),
            need.get("urgency", "normal"),
            need.get("needed_by"),
            now,
            config.digest_hour,
        )
        alerts.append(
            Outgoing(
                f"{env['event_id']}.need_unmatched.{sub['_id']}",
                sub["email"],
                "need_unmatched",
                sub.get("language") or "lv",
                context,
                reply_to=reply_to_for(config, need),
                hold=hold,
                digest_holder=sub["_id"] if hold else None,
            )
        )
    return alerts
