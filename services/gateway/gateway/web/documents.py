"""What the public documents show: verified organisations only, their names and
websites, the dashboard's totals and numbers as a reader writes them."""

from urllib.parse import urlsplit

from tilts_contracts import taxonomy

from ..formats import commitments
from .words import WORDS


def number(value: int, lang: str) -> str:
    """A whole number as its readers write it: 274 468 in Latvian, 274,468 in English."""
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if lang == "lv" else text


def domain_totals(grid: list[dict]) -> list[dict]:
    """Each domain's needed, covered and missing quantity (its cells summed; a need is in
    one cell) and its free capacity (each offer once), for the dashboard's chart."""
    totals = []
    for row in grid:
        cells = row["regions"].values()
        needed = sum(c.get("needed", 0) for c in cells)
        gap = sum(c["gap"] for c in cells)
        totals.append(
            {
                "domain": row["domain"],
                "needed": needed,
                "covered": needed - gap,
                "gap": gap,
                "free": row.get("free", 0),
                # the chart's bar: the covered share of the domain's own needs, so one
                # busy domain never flattens the others (the numbers say how many)
                "covered_share": (needed - gap) / needed if needed else 0.0,
            }
        )
    return totals


def verified_only(groups: list[dict], key: str, profiles: dict) -> list[dict]:
    """Each domain's entries (`key`) of verified organisations only: a pending or suspended
    organisation's offers are no public commitment (an erased one, still verified, stays)."""
    return [
        {
            **group,
            key: [
                e
                for e in group[key]
                if (profiles.get(e["organisation_id"]) or {}).get("status") == "verified"
            ],
        }
        for group in groups
    ]


def organisation_website(profiles: dict, org_id: str) -> dict | None:
    """The organisation's website as `{"url", "host"}`, if it has an http(s) one to show."""
    profile = profiles.get(org_id) or {}
    url = profile.get("website")
    if profile.get("anonymous") or profile.get("private") or not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return {"url": url, "host": parts.hostname.removeprefix("www.")}


def organisation_name(profiles: dict, org_id: str, lang: str) -> str:
    profile = profiles.get(org_id)
    if not profile or profile.get("anonymous"):
        return WORDS[lang]["anonymous"]
    if profile.get("private"):  # a private person is never named in public
        return taxonomy.PRIVATE_PERSON[lang]
    return profile["name"]


def _names(profiles: dict, lang: str):
    return lambda org_id: organisation_name(profiles, org_id, lang)


def commitment_rows(doc: dict, profiles: dict, lang: str) -> list[dict]:
    """The commitment document's rows (the JSON download), in the reader's language."""
    return commitments.commitment_rows(doc, lang, _names(profiles, lang))


def commitments_markdown(doc: dict, profiles: dict, lang: str) -> str:
    return commitments.commitments_markdown(doc, lang, WORDS[lang], _names(profiles, lang))


def commitments_csv(doc: dict, profiles: dict, lang: str) -> str:
    return commitments.commitments_csv(doc, lang, WORDS[lang], _names(profiles, lang))
