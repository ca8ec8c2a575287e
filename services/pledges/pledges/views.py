"""Public views over offers and needs: the wall, the gap grid, the commitments. Pure."""

from tilts_contracts.taxonomy import DOMAINS, NATIONWIDE, OFFER_REGIONS

PUBLIC_OFFER_FIELDS = (
    "title",
    "description",
    "unit",
    "capacity",
    "remaining",
    "regions",
    "languages",
    "available_from",
    "available_until",
    "status",
    "organisation_id",
)
NEED_STATUSES = ("open", "matched", "unmatched", "fulfilled")


def _public(offer: dict) -> dict:
    return {"id": offer["_id"], **{k: offer.get(k) for k in PUBLIC_OFFER_FIELDS}}


def wall(offers: list[dict]) -> list[dict]:
    """Offers grouped by domain in the working groups' order; no contact details."""
    return [
        {"domain": slug, "offers": [_public(o) for o in offers if o["domain"] == slug]}
        for slug in DOMAINS
    ]


def gap_grid(needs: list[dict], offers: list[dict]) -> list[dict]:
    """One row a domain, one cell a region: needs by status and free capacity there.

    A cell's `gap` is what open and unmatched needs ask for beyond the capacity that
    offers in that region (or nationwide) still have free.
    """
    rows = []
    for slug in DOMAINS:
        cells = {}
        for region in OFFER_REGIONS:
            here = [n for n in needs if n["domain"] == slug and n["region"] == region]
            counts = {s: sum(1 for n in here if n["status"] == s) for s in NEED_STATUSES}
            waiting = sum(n["quantity"] for n in here if n["status"] in ("open", "unmatched"))
            free = sum(
                max(o["remaining"], 0)
                for o in offers
                if o["domain"] == slug and o["status"] == "active" and region in o["regions"]
            )
            reach = (
                free
                if region == NATIONWIDE
                else free
                + sum(
                    max(o["remaining"], 0)
                    for o in offers
                    if o["domain"] == slug
                    and o["status"] == "active"
                    and NATIONWIDE in o["regions"]
                    and region not in o["regions"]
                )
            )
            cells[region] = {
                "needs": counts,
                "waiting": waiting,
                "remaining": free,
                "gap": max(waiting - reach, 0),
            }
        rows.append({"domain": slug, "regions": cells})
    return rows


def commitments(offers: list[dict], delivered: dict[str, dict]) -> list[dict]:
    """The commitment document's content: standing offers by domain, with delivery."""
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
                    "accepted": done["accepted"],
                    "fulfilled": done["fulfilled"],
                    "matches": done["matches"],
                }
            )
        out.append({"domain": slug, "commitments": entries})
    return out
