"""The organisation directory in and out: CSV import rows, HSDS 3.0 and HXL exports. Pure."""

import csv
import io

from tilts_contracts import taxonomy
from tilts_contracts.errors import Invalid

COLUMNS = (
    "name",
    "kind",
    "email",
    "phone",
    "website",
    "description",
    "domains",
    "regions",
    "languages",
    "preferred_language",
)
LIST_COLUMNS = ("domains", "regions", "languages")
REQUIRED = ("name", "email")


def read_csv(text: str) -> list[dict]:
    """Rows of an organisations CSV (UTF-8, BOM tolerated); lists split on ';'.

    A bad header is a 400 for the whole file; a bad line becomes a row whose
    `_error` says why, so the import reports it and goes on with the rest.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise Invalid("the CSV is empty", {"_file": ["expected a header line"]}) from None
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        details = {}
        if unknown:
            details["_header"] = [f"unknown column {h!r}" for h in unknown]
        if missing:
            details.setdefault("_header", []).extend(f"missing column {c!r}" for c in missing)
        raise Invalid("the CSV header is not one Tilts can read", details)
    rows = []
    try:
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue
            if len(line) != len(header):
                rows.append(
                    {"_error": {"_line": [f"expected {len(header)} fields, got {len(line)}"]}}
                )
                continue
            row = {}
            for key, cell in zip(header, line, strict=True):
                cell = cell.strip()
                if key in LIST_COLUMNS:
                    row[key] = [p.strip() for p in cell.split(";") if p.strip()]
                elif cell:
                    row[key] = cell
            rows.append(row)
    except csv.Error as exc:
        rows.append({"_error": {"_line": [f"unreadable CSV: {exc}"]}})
    return rows


def hsds(organisations: list[dict], offers: list[dict]) -> dict:
    """Open Referral HSDS 3.0: organizations, each with its services (our offers),
    their service areas and languages."""
    by_org: dict[str, list[dict]] = {}
    for offer in offers:
        by_org.setdefault(offer["organisation_id"], []).append(offer)
    out = []
    for org in organisations:
        services = []
        for offer in by_org.get(org["id"], []):
            services.append(
                {
                    "id": offer["id"],
                    "organization_id": org["id"],
                    "name": offer["title"],
                    "description": offer.get("description") or None,
                    "status": "active"
                    if offer["status"] in ("active", "exhausted")
                    else "inactive",
                    "service_areas": [
                        {
                            "id": f"{offer['id']}-{region}",
                            "service_id": offer["id"],
                            "name": taxonomy.name(taxonomy.OFFER_REGIONS, region, "en"),
                            "extent_type": "text",
                            "extent": taxonomy.name(taxonomy.OFFER_REGIONS, region, "en")
                            + ", Latvia",
                            "description": f"tilts:region:{region}",
                        }
                        for region in offer["regions"]
                    ],
                    "languages": [
                        {
                            "id": f"{offer['id']}-{code}",
                            "service_id": offer["id"],
                            "name": taxonomy.name(taxonomy.LANGUAGE_NAMES, code, "en"),
                            "code": code,
                        }
                        for code in offer.get("languages") or []
                    ],
                    "attributes": [
                        {
                            "id": f"{offer['id']}-domain",
                            "link_id": offer["id"],
                            "link_type": "service",
                            "link_entity": "service",
                            "taxonomy_term_id": f"tilts:domain:{offer['domain']}",
                            "value": taxonomy.name(taxonomy.DOMAINS, offer["domain"], "en"),
                        }
                    ],
                }
            )
        out.append(
            {
                "id": org["id"],
                "name": org["name"],
                "description": org.get("description") or org["name"],
                "email": org.get("email"),
                "website": org.get("website"),
                "services": services,
            }
        )
    return {"organizations": out}


HXL_COLUMNS = [
    ("Organisation", "#org"),
    ("Sector", "#sector"),
    ("Region", "#adm1"),
    ("Email", "#contact+email"),
    ("Status", "#status"),
]


def hxl(organisations: list[dict]) -> str:
    """CSV with an HXL hashtag row: one line per organisation, domain and region."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for title, _ in HXL_COLUMNS])
    writer.writerow([tag for _, tag in HXL_COLUMNS])
    for org in organisations:
        for domain in org.get("domains") or [""]:
            for region in org.get("regions") or [""]:
                writer.writerow(
                    [org["name"], domain, region, org.get("email") or "", org["status"]]
                )
    return out.getvalue()


def flat_csv(organisations: list[dict]) -> str:
    """The import format again: what `tilts import` reads, `tilts export --format csv` writes."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS) + ["id", "status"], extrasaction="ignore")
    writer.writeheader()
    for org in organisations:
        writer.writerow({**org, **{k: ";".join(org.get(k) or []) for k in LIST_COLUMNS}})
    return out.getvalue()
