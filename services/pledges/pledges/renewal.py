"""Capacity that renews: an offer with `renews` (weekly | monthly) gets its capacity back
at the start of each period in Riga time, less what is still proposed, accepted and not
yet delivered, or delivered within the new period. Pure: no I/O, no clock of its own."""

from datetime import UTC, datetime, time, timedelta

from tilts_contracts import lifecycles
from tilts_contracts.clock import iso
from tilts_contracts.localtime import RIGA

from . import rules

# how often each worker looks for offers whose period began
CHECK_SECONDS = 10


def period_start(moment: datetime, renews: str) -> datetime:
    """The UTC moment the period holding `moment` began: Monday 00:00 (weekly) or the
    1st 00:00 (monthly), Riga time. Riga changes its clocks at 03:00/04:00, never at
    midnight, so local midnight always exists and is unambiguous."""
    local = moment.astimezone(RIGA).date()
    if renews == "weekly":
        first = local - timedelta(days=local.weekday())
    elif renews == "monthly":
        first = local.replace(day=1)
    else:
        raise ValueError(f"unknown renewal {renews!r}")
    return datetime.combine(first, time(0), tzinfo=RIGA).astimezone(UTC)


def scheduled(offer: dict, now: datetime) -> dict:
    """The offer with the period it counts in, when it renews (new, or just set to)."""
    offer = {"renews": None, "renewed_at": None, **offer}
    if not offer.get("renews"):
        return {**offer, "period_start": None}
    start = iso(period_start(now, offer["renews"]))
    if offer.get("period_start") and offer.get("period_start_of") == offer["renews"]:
        return offer
    return {**offer, "period_start": start, "period_start_of": offer["renews"]}


def held_in_period(matches: list[dict], since: str) -> int:
    """What an offer's matches hold in the period begun at `since`: proposed and
    accepted ones, and those delivered since it began (earlier deliveries are spent)."""
    return sum(
        m["quantity"]
        for m in matches
        if m["status"] in lifecycles.OPEN_MATCH
        or (m["status"] == "fulfilled" and m.get("updated_at", "") >= since)
    )


def due(offer: dict, now: datetime) -> str | None:
    """The start of the period the offer is due to renew for, or None if it is not due:
    it does not renew, is withdrawn, nobody can be asked for it, or renewed already."""
    if not offer.get("renews") or offer["status"] not in lifecycles.KEPT_OFFER:
        return None
    if offer.get("org_erased"):
        return None
    start = iso(period_start(now, offer["renews"]))
    if (offer.get("period_start") or "") >= start:
        return None
    return start


def renew(offer: dict, matches: list[dict], now: datetime) -> dict | None:
    """The offer with its capacity back for the current period, or None when it is not
    due (so of several workers the first write wins and the rest change nothing)."""
    start = due(offer, now)
    if start is None:
        return None
    renewed = {
        **offer,
        "period_start": start,
        "period_start_of": offer["renews"],
        "renewed_at": start,
        "updated_at": iso(now),
        "forced": False,
    }
    return rules.apply_allocation(renewed, held_in_period(matches, start))


def counted_before(offer: dict, match: dict) -> bool:
    """Whether a match event's count of the offer (`offer_allocated`) was made before
    matching applied the offer's last renewal: it still counts what the renewal gave
    back, so the count the renewal made stands until a newer one comes."""
    if not offer.get("renewed_at"):
        return False
    return (match.get("offer_renewed_at") or "") < offer["renewed_at"]
