"""The commitment document as a download: flat rows (JSON), markdown and CSV.

In the reader's language: the caller gives the headings (`w`) and how an organisation
is named (`name`: from its id to what the public may see of it)."""

import csv
import io
from collections.abc import Callable

from tilts_contracts import localtime, taxonomy

from .spreadsheet import spreadsheet_text


def amount(offer: dict, lang: str) -> str:
    """An offer's capacity as a reader says it: "3 consultations a week"."""
    renews = offer.get("renews")
    period = taxonomy.name(taxonomy.RENEWALS, renews, lang) if renews else ""
    return " ".join(str(x) for x in (offer["capacity"], offer.get("unit") or "", period) if x != "")


def commitment_rows(doc: dict, lang: str, name: Callable[[str], str]) -> list[dict]:
    """Flat rows of the commitment document, in the chosen language."""
    rows = []
    for group in doc["domains"]:
        for c in group["commitments"]:
            rows.append(
                {
                    "domain": taxonomy.name(taxonomy.DOMAINS, group["domain"], lang),
                    "organisation": name(c["organisation_id"]),
                    "offer": c["title"],
                    "capacity": c["capacity"],
                    "unit": c["unit"] or "",
                    "renews": taxonomy.name(taxonomy.RENEWALS, c["renews"], lang)
                    if c.get("renews")
                    else "",
                    "remaining": c["remaining"],
                    "accepted": c["accepted"],
                    "fulfilled": c["fulfilled"],
                    "regions": ", ".join(
                        taxonomy.name(taxonomy.OFFER_REGIONS, r, lang) for r in c["regions"]
                    ),
                }
            )
    return rows


def commitments_markdown(doc: dict, lang: str, w: dict, name: Callable[[str], str]) -> str:
    """The document as markdown: a table per working group."""
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
            cells = [
                name(c["organisation_id"]),
                c["title"],
                amount(c, lang),
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
    "renews",
    "remaining",
    "accepted",
    "fulfilled",
    "regions",
)


def commitments_csv(doc: dict, lang: str, w: dict, name: Callable[[str], str]) -> str:
    """The document as CSV for a spreadsheet: a BOM so Excel reads UTF-8, headers in the
    reader's language, and the generated-at time in a column of every row, so a row copied
    or filtered elsewhere still says how current it is."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([w[c] for c in CSV_COLUMNS] + [w["generated"]])
    for row in commitment_rows(doc, lang, name):
        writer.writerow([spreadsheet_text(row[c]) for c in CSV_COLUMNS] + [doc["generated_at"]])
    return "\ufeff" + out.getvalue()
