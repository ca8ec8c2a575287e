"""The public documents: resource wall, dashboard, commitment document (lv and en)."""

import csv
import io
from urllib.parse import urlsplit

from tilts_contracts import localtime, taxonomy

WORDS = {
    "lv": {
        "wall": "Resursu siena",
        "dashboard": "Rezultātu pārskats",
        "commitments": "Apņemšanās dokuments",
        "wall_intro": "Ko organizācijas ir gatavas dot bēgļu uzņemšanai.",
        "dash_intro": (
            "Vajadzības un brīvā kapacitāte pa jomām un reģioniem. Iekrāsotās šūnas rāda "
            "iztrūkumu: vajadzības, kuras vēl nesedz neviens piedāvājums."
        ),
        "commit_intro": (
            "Kas ko ir apņēmies, pa darba grupām. Dokuments veidots no aktuālajiem datiem."
        ),
        "region": "Reģions",
        "all_regions": "Visi reģioni",
        "show": "Rādīt",
        "organisation": "Organizācija",
        "offer": "Piedāvājums",
        "capacity": "Kapacitāte",
        "remaining": "Brīvā kapacitāte",
        "languages": "Valodas",
        "regions": "Reģioni",
        "accepted": "Pieņemts",
        "fulfilled": "Izpildīts",
        "unit": "Vienība",
        "website": "Tīmekļa vietne",
        "none": "Pagaidām nekā.",
        "open": "atvērtas",
        "matched": "saskaņotas",
        "unmatched": "bez piedāvājuma",
        "gap": "trūkst",
        "needed": "vajadzīgs",
        "covered": "nodrošināts",
        "covered_note": "nodrošināts: lūgums nosūtīts organizācijai vai pieņemts",
        "no_needs": "vajadzību nav",
        "free_capacity": "brīvā kapacitāte",
        "of": "no",
        "grid_caption": "Vajadzības un brīvā kapacitāte pa jomām un reģioniem",
        "nothing_here": "nav ne vajadzību, ne brīvas kapacitātes",
        "generated": "Sagatavots",
        "anonymous": "anonīma organizācija",
        "domain": "Joma",
        "downloads": "Lejupielādēt",
        "chart": "Vajadzību nodrošinājums pa jomām",
        "other_lang": "English",
        "other_code": "en",
    },
    "en": {
        "wall": "Resource wall",
        "dashboard": "Dashboard",
        "commitments": "Commitment document",
        "wall_intro": "What organisations are ready to give for refugee reception.",
        "dash_intro": (
            "Needs and free capacity by domain and region. Shaded cells show the gaps: "
            "needs that no offer covers yet."
        ),
        "commit_intro": "Who committed to what, by working group, generated from live data.",
        "region": "Region",
        "all_regions": "All regions",
        "show": "Show",
        "organisation": "Organisation",
        "offer": "Offer",
        "capacity": "Capacity",
        "remaining": "Free capacity",
        "languages": "Languages",
        "regions": "Regions",
        "accepted": "Accepted",
        "fulfilled": "Fulfilled",
        "unit": "Unit",
        "website": "Website",
        "none": "Nothing yet.",
        "open": "open",
        "matched": "matched",
        "unmatched": "unmatched",
        "gap": "gap",
        "needed": "needed",
        "covered": "covered",
        "covered_note": "covered: requested from an organisation, or accepted",
        "no_needs": "no needs",
        "free_capacity": "free capacity",
        "of": "of",
        "grid_caption": "Needs and free capacity by domain and region",
        "nothing_here": "no needs and no free capacity",
        "generated": "Generated",
        "anonymous": "anonymous organisation",
        "domain": "Domain",
        "downloads": "Download",
        "chart": "Needs covered, by domain",
        "other_lang": "Latviešu",
        "other_code": "lv",
    },
}


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
    if profile.get("anonymous") or not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return {"url": url, "host": parts.hostname.removeprefix("www.")}


def organisation_name(profiles: dict, org_id: str, lang: str) -> str:
    profile = profiles.get(org_id)
    if not profile or profile.get("anonymous"):
        return WORDS[lang]["anonymous"]
    return profile["name"]


def commitment_rows(doc: dict, profiles: dict, lang: str) -> list[dict]:
    """Flat rows of the commitment document, in the chosen language."""
    rows = []
    for group in doc["domains"]:
        for c in group["commitments"]:
            rows.append(
                {
                    "domain": taxonomy.name(taxonomy.DOMAINS, group["domain"], lang),
                    "organisation": organisation_name(profiles, c["organisation_id"], lang),
                    "offer": c["title"],
                    "capacity": c["capacity"],
                    "unit": c["unit"] or "",
                    "remaining": c["remaining"],
                    "accepted": c["accepted"],
                    "fulfilled": c["fulfilled"],
                    "regions": ", ".join(
                        taxonomy.name(taxonomy.OFFER_REGIONS, r, lang) for r in c["regions"]
                    ),
                }
            )
    return rows


def commitments_markdown(doc: dict, profiles: dict, lang: str) -> str:
    w = WORDS[lang]
    lines = [
        f"# {w['commitments']}",
        "",
        w["commit_intro"],
        "",
        f"{w['generated']}: {localtime.at(doc['generated_at'], lang)}",
        "",
    ]
    for group in doc["domains"]:
        lines += [f"## {taxonomy.name(taxonomy.DOMAINS, group['domain'], lang)}", ""]
        if not group["commitments"]:
            lines += [w["none"], ""]
            continue
        lines += [
            f"| {w['organisation']} | {w['offer']} | {w['capacity']} | {w['remaining']} "
            f"| {w['accepted']} | {w['fulfilled']} |",
            "|---|---|---|---|---|---|",
        ]
        for c in group["commitments"]:
            name = organisation_name(profiles, c["organisation_id"], lang)
            cells = [
                name,
                c["title"],
                f"{c['capacity']} {c['unit'] or ''}".strip(),
                c["remaining"],
                c["accepted"],
                c["fulfilled"],
            ]
            lines.append("| " + " | ".join(_md(str(x)) for x in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Table-cell text: pipes and markup characters escaped, one line."""
    for ch in "\\|*_`[]<>#":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


CSV_COLUMNS = (
    "domain",
    "organisation",
    "offer",
    "capacity",
    "unit",
    "remaining",
    "accepted",
    "fulfilled",
    "regions",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """A cell a spreadsheet shows as text: one starting like a formula gets a `'` first."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def commitments_csv(doc: dict, profiles: dict, lang: str) -> str:
    """The document as CSV for a spreadsheet: a BOM so Excel reads UTF-8, headers in the
    reader's language, and the generated-at time in a column of every row, so a row copied
    or filtered elsewhere still says how current it is."""
    w = WORDS[lang]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([w[c] for c in CSV_COLUMNS] + [w["generated"]])
    for row in commitment_rows(doc, profiles, lang):
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS] + [doc["generated_at"]])
    return "\ufeff" + out.getvalue()
