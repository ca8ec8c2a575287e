"""Which offers can meet a need, in what order, and how a match moves. Pure."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Forbidden, Invalid
from tilts_contracts.forgetting import ERASED_OFFER_TEXT
from tilts_contracts.lifecycles import ANSWERED_MATCH, LIVE_MATCH, RELEASING_MATCH, WAITING_NEED
from tilts_contracts.taxonomy import NATIONWIDE, URGENCIES

# weights of the score's parts; each part is 0..1, the score is their weighted sum
WEIGHTS = {
    "region": 0.3,
    "language": 0.2,
    "capacity": 0.2,
    "responsiveness": 0.15,
    "fairness": 0.15,
}


@dataclass(frozen=True)
class Candidate:
    offer: dict
    score: float
    breakdown: dict[str, float]


def is_candidate(offer: dict, need: dict, today: date) -> bool:
    """The matching rules of the design, checked one offer at a time."""
    return has_free(offer) and fits(offer, need, today)


def has_free(offer: dict) -> bool:
    """Whether an offer has capacity to give: active, of a verified organisation, and
    not all of it reserved."""
    return (
        offer.get("status") == "active"
        and offer.get("org_status") == "verified"
        and offer.get("remaining", 0) > 0
    )


def fits(offer: dict, need: dict, today: date) -> bool:
    """Whether an offer can serve a need at all: domain, region, language, dates."""
    if offer["domain"] != need["domain"]:
        return False
    if need["region"] not in offer["regions"] and NATIONWIDE not in offer["regions"]:
        return False
    if need.get("languages") and not set(need["languages"]) & set(offer.get("languages") or []):
        return False
    when = need.get("needed_by") or today.isoformat()
    if offer.get("available_from") and offer["available_from"] > when:
        return False
    if offer.get("available_until") and offer["available_until"] < when:
        return False
    return True


def score(offer: dict, need: dict, still_needed: int, stats: dict) -> Candidate:
    """Rank an eligible offer; the breakdown says why, for the coordinator."""
    region = 1.0 if need["region"] in offer["regions"] else 0.5
    if need.get("languages"):
        shared = set(need["languages"]) & set(offer.get("languages") or [])
        language = len(shared) / len(set(need["languages"]))
    else:
        language = 1.0
    capacity = min(offer["remaining"], still_needed) / still_needed
    asked = stats.get("asked", 0)
    answered = stats.get("accepted", 0) + stats.get("declined", 0)
    responsiveness = (stats.get("accepted", 0) + 1) / (answered + 2)  # Laplace: new orgs 0.5
    if stats.get("expired"):
        responsiveness *= asked / (asked + stats["expired"])
    if stats.get("answer_hours") is not None:  # quick answers count: a day halves the bonus
        responsiveness *= 0.5 + 0.5 / (1 + stats["answer_hours"] / 24)
    fairness = 1.0 / (1.0 + stats.get("recent", 0))
    breakdown = {
        "region": region,
        "language": round(language, 3),
        "capacity": round(capacity, 3),
        "responsiveness": round(responsiveness, 3),
        "fairness": round(fairness, 3),
    }
    total = sum(WEIGHTS[k] * v for k, v in breakdown.items())
    return Candidate(offer=offer, score=round(total, 4), breakdown=breakdown)


def rank(
    offers: list[dict],
    need: dict,
    still_needed: int,
    stats: dict[str, dict],
    exclude_orgs: set[str],
    today: date,
) -> list[Candidate]:
    """Eligible offers, best first, never an organisation already asked for this need."""
    ranked = [
        score(o, need, still_needed, stats.get(o["organisation_id"], {}))
        for o in offers
        if o["organisation_id"] not in exclude_orgs and is_candidate(o, need, today)
    ]
    return sorted(ranked, key=lambda c: (-c.score, c.offer["_id"]))


DEFAULT_RESPOND_HOURS = {k: float(v["respond_hours"]) for k, v in URGENCIES.items()}


def parse_respond_hours(text: str) -> dict[str, float]:
    """`critical=4,high=24,...` from config; unnamed urgencies keep the design's hours."""
    hours = dict(DEFAULT_RESPOND_HOURS)
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _, value = part.partition("=")
        if name.strip() not in hours:
            raise ValueError(f"RESPOND_HOURS: unknown urgency {name.strip()!r}")
        hours[name.strip()] = float(value)
    return hours


def respond_by(
    urgency: str,
    now: datetime,
    hours: dict[str, float] | None = None,
    needed_by: str | None = None,
) -> datetime:
    """The deadline for an answer: critical 4 h, high 24 h, normal 72 h, low 7 days, but
    never later than the start of the day the help is needed by (and never shorter than
    the critical window, so an organisation always has time to read its mail)."""
    table = hours or DEFAULT_RESPOND_HOURS
    deadline = now + timedelta(hours=table.get(urgency, table["normal"]))
    if needed_by:
        day = datetime.fromisoformat(needed_by).replace(tzinfo=now.tzinfo)
        shortest = now + timedelta(hours=min(table.values()))
        deadline = min(deadline, max(day, shortest))
    return deadline


def propose(
    match_id: str,
    need: dict,
    candidate: Candidate,
    quantity: int,
    now: datetime,
    deadline: datetime,
) -> dict:
    offer = candidate.offer
    stamp = iso(now)
    return {
        "_id": match_id,
        "need_id": need["_id"],
        "offer_id": offer["_id"],
        "organisation_id": offer["organisation_id"],
        "quantity": quantity,
        "score": candidate.score,
        "score_breakdown": candidate.breakdown,
        "status": "proposed",
        "respond_by": iso(deadline),
        "created_at": stamp,
        "updated_at": stamp,
    }


ANSWERS = {
    "accept": ("proposed", "accepted"),
    "decline": ("proposed", "declined"),
    "expire": ("proposed", "expired"),
    "fulfil": ("accepted", "fulfilled"),
}


def answer(
    match: dict,
    action: str,
    now: datetime,
    organisation_id: str | None = None,
    said: dict | None = None,
) -> dict:
    """Move a match on; Conflict if its state does not allow it. `said`: a decline's
    reason and note, or how much a fulfilment delivered (at most what was asked)."""
    if organisation_id is not None and organisation_id != match["organisation_id"]:
        raise Forbidden("this match was offered to another organisation")
    before, after = ANSWERS[action]
    if match["status"] != before:
        raise Conflict(
            f"match {match['_id']} is {match['status']}, it cannot be {after}",
            {"status": [match["status"]]},
        )
    answered = {"answered_at": iso(now)} if action in ("accept", "decline") else {}
    return {
        **match,
        "status": after,
        "updated_at": iso(now),
        **answered,
        **told(match, action, said),
    }


def told(match: dict, action: str, said: dict | None) -> dict:
    """What the organisation said with its answer, as the match keeps it."""
    said = said or {}
    if action == "decline":
        return {"decline_reason": said.get("reason"), "decline_note": said.get("note") or ""}
    if action == "fulfil":
        delivered = said.get("quantity") or match["quantity"]
        if delivered > match["quantity"]:
            raise Invalid(
                f"{delivered} is more than the {match['quantity']} asked for",
                {"quantity": [f"at most {match['quantity']}"]},
            )
        return {"delivered": delivered}
    return {}


def still_stands(need: dict, offer: dict, today: date) -> bool:
    """Whether a proposal made for `need` from `offer` still stands: the need is open and
    was not edited away from what the offer can do, and the offer is active and its
    organisation verified (not withdrawn, suspended or erased). Its own capacity is not
    asked: the proposal holds part of it."""
    return (
        need["status"] in WAITING_NEED
        and offer.get("status") in ("active", "paused")  # a pause asks nothing new only
        and offer.get("org_status") == "verified"
        and fits(offer, need, today)
    )


def check_need_open(need: dict, match: dict) -> None:
    """A match cannot be accepted or fulfilled for a need that was cancelled."""
    if need["status"] == "cancelled":
        raise Conflict(
            f"the need of match {match['_id']} was cancelled",
            {"need_id": [f"{need['_id']} is cancelled"]},
        )


# an organisation's answer that gave the capacity back: declined, or let the deadline pass
SAID_NO = tuple(s for s in ANSWERED_MATCH if s in RELEASING_MATCH)


def not_to_ask(matches: list[dict]) -> set[str]:
    """Organisations not to ask again for a need: those asked now or before that still hold
    a part of it, and those that said no (declined, or let the deadline pass). A match the
    system cancelled (a forced cut, an edit of the need) does not count against anyone."""
    return {m["organisation_id"] for m in matches if m["status"] in LIVE_MATCH + SAID_NO}


def cancel(match: dict, now: datetime) -> dict:
    return {**match, "status": "cancelled", "updated_at": iso(now)}


def releases(status: str) -> bool:
    """Whether a match in `status` gives its capacity back."""
    return status in RELEASING_MATCH


def edited_offer(held: dict, edit: dict) -> dict | None:
    """The held offer after its owner's edit (`edit` as pledges sent it, with open ends
    filled): what matching reserved stays reserved. None when it holds this edit already."""
    if held.get("revision", 0) >= edit["revision"]:
        return None
    allocated = held["capacity"] - held["remaining"]
    fields = {k: v for k, v in edit.items() if k not in ("id", "remaining", "status", "forced")}
    fields.pop("renewed_at", None)  # given back by `MatchingStore.renew`, then recorded
    fields["remaining"] = edit["capacity"] - allocated
    if edit["status"] in ("withdrawn", "paused"):
        fields["status"] = edit["status"]
    elif held.get("status") == "paused":  # resumed: free capacity decides again
        fields["status"] = "active"
    if held.get("org_status") == "erased":  # an edit sent before the erasure brings no text
        fields.update({k: v for k, v in ERASED_OFFER_TEXT.items() if k in fields})
    return {**held, **fields}


def withdrawn_offer(held: dict, revision: int) -> dict | None:
    """The held offer withdrawn by its owner; None when it is withdrawn already."""
    if held.get("status") == "withdrawn":
        return None
    return {**held, "status": "withdrawn", "revision": revision}


def offer_counts(offer: dict) -> dict:
    """What a match event tells the offer's owner about its capacity."""
    return {
        "offer_allocated": offer["capacity"] - offer["remaining"],
        "offer_remaining": offer["remaining"],
        "offer_revision": offer["_version"],
        "offer_renewed_at": offer.get("renewed_through"),
    }


def edited_need(held: dict, edit: dict) -> dict | None:
    """The held need after a coordinator's edit; None when held already, or cancelled."""
    if held.get("source_revision", 0) >= edit["revision"] or held["status"] == "cancelled":
        return None
    fields = {k: v for k, v in edit.items() if k not in ("id", "revision", "status")}
    return {**held, **fields, "source_revision": edit["revision"]}


def cancelled_need(held: dict) -> dict | None:
    """The held need cancelled by its coordinator; None when it is cancelled already."""
    return None if held["status"] == "cancelled" else {**held, "status": "cancelled"}


def with_gap_reported(need: dict) -> dict | None:
    """The need marked as a gap at its coverage level, or None when there is no gap to
    report: it is covered, no longer waiting, or this level was reported already."""
    if need["status"] not in WAITING_NEED or need["covered"] >= need["quantity"]:
        return None
    if need["gap_reported"] == need["covered"]:
        return None
    status = "unmatched" if need["covered"] == 0 else need["status"]
    return {**need, "status": status, "gap_reported": need["covered"]}


def gap_event(need: dict) -> tuple[str, dict]:
    """need_unmatched for a need marked by `with_gap_reported`."""
    payload = {
        "need": {**need, "id": need["_id"], "status": "unmatched"},
        "covered": need["covered"],
        "reason": "no candidate left" if need["covered"] == 0 else "partly covered",
    }
    return ("need_unmatched", payload)
