"""Public views over offers and needs: the wall, the gap grid, the commitments. Pure."""

from datetime import date

from tilts_contracts import lifecycles
from tilts_contracts.taxonomy import DOMAINS, OFFER_REGIONS

PUBLIC_OFFER_FIELDS = (
    "title",
    "description",
    "unit",
    "capacity",
    "renews",
    "remaining",
    "regions",
    "languages",
    "available_from",
    "available_until",
    "status",
    "organisation_id",
)
# the needs a dashboard cell counts: all but the cancelled
NEED_STATUSES = tuple(s for s in lifecycles.NEED_STATUSES if s != "cancelled")


def _public(offer: dict) -> dict:
    return {"id": offer["_id"], **{k: offer.get(k) for k in PUBLIC_OFFER_FIELDS}}


def ended(offer: dict, today: date) -> bool:
    """Whether the offer's availability ended before `today`: nobody can be asked for it."""
    until = offer.get("available_until")
    return bool(until) and str(until) < today.isoformat()


def wall(offers: list[dict], today: date) -> list[dict]:
    """Offers still available, grouped by domain in the working groups' order; no
    contact details."""
    return [
        {
            "domain": slug,
            "offers": [_public(o) for o in offers if o["domain"] == slug and not ended(o, today)],
        }
        for slug in DOMAINS
    ]


CURRENT = lifecycles.CURRENT_NEED


def uncovered(need: dict, covered: int) -> int:
    """What of a need no live match (proposed, accepted or fulfilled) covers."""
    if need["status"] not in CURRENT:
        return 0
    return max(need["quantity"] - covered, 0)


def gap_grid(
    needs: list[dict], offers: list[dict], covered: dict[str, int], today: date
) -> list[dict]:
    """One row a domain, one cell a region: needs by status, how much of them live
    matches cover, and the capacity offers there still have free (an offer whose
    availability ended has none).

    `covered` is each need's quantity in live matches. A cell's `gap` is what its
    current needs ask for beyond that: needed and not covered. Free capacity does not
    shrink it, since matching would already have proposed any capacity that fits (the
    same domain, region, language and dates); what is free and not proposed does not fit.
    """
    offers = [o for o in offers if not ended(o, today) and o["status"] == "active"]
    rows = []
    for slug in DOMAINS:
        mine = [o for o in offers if o["domain"] == slug]
        cells = {
            region: _cell(
                [n for n in needs if n["domain"] == slug and n["region"] == region],
                [o for o in mine if region in o["regions"]],
                covered,
            )
            for region in OFFER_REGIONS
        }
        rows.append({"domain": slug, "regions": cells, "free": _free(mine)})  # each offer once
    return rows


def _free(offers: list[dict]) -> int:
    return sum(max(o["remaining"], 0) for o in offers)


def _cell(needs: list[dict], offers: list[dict], covered: dict[str, int]) -> dict:
    """One domain and region of the gap grid: its needs, and its offers' free capacity."""
    current = [n for n in needs if n["status"] in CURRENT]
    needed = sum(n["quantity"] for n in current)
    gap = sum(uncovered(n, covered.get(n["_id"], 0)) for n in current)
    return {
        "needs": {s: sum(1 for n in needs if n["status"] == s) for s in NEED_STATUSES},
        "needed": needed,
        "covered": needed - gap,
        "gap": gap,
        "waiting": gap,  # what pages before `gap` showed as waiting
        "remaining": _free(offers),
    }


def commitments(offers: list[dict], delivered: dict[str, dict], today: date) -> list[dict]:
    """The commitment document's content: standing offers by domain, with delivery. An
    offer whose availability ended stays, with what was delivered, and no free capacity."""
    out = []
    for slug in DOMAINS:
        entries = []
        for o in offers:
            if o["domain"] != slug:
                continue
            done = delivered.get(o["_id"], {"accepted": 0, "fulfilled": 0, "matches": 0})
            entries.append(
                {
                    **_public(o),
                    **({"remaining": 0} if ended(o, today) else {}),
                    "accepted": done["accepted"],
                    "fulfilled": done["fulfilled"],
                    "matches": done["matches"],
                }
            )
        out.append({"domain": slug, "commitments": entries})
    return out
