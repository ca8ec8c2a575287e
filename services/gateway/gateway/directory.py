"""The organisation directory in and out: CSV import rows, HSDS 3.0 and HXL exports. Pure."""

import csv
import io
import itertools
import re
import uuid

from tilts_contracts import taxonomy
from tilts_contracts.errors import Invalid

from .public import FORMULA_START

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
# written by `tilts export --format csv`, so that file can be imported again; not read
EXPORT_ONLY = ("id", "status")
# only a description may hold line breaks (quoted); a record longer than this, or one
# with a line break in another column, is an unclosed quote
MULTILINE = ("description",)
MAX_RECORD_LINES = 200
DELIMITERS = (",", ";", "\t")
# what a line of the file holds when it is a row of its own: an address in its email cell
EMAIL_CELL = re.compile(r"[^@\s,;\"]+@[^@\s,;\"]+\.[^@\s,;\"]+")


def _lines(text: str) -> list[str]:
    """Physical lines, split at \n, \r\n or \r only (str.splitlines would also split at
    U+2028 and other separators that are text inside a cell)."""
    return io.StringIO(text, newline="").readlines()


def _delimiter(first_line: str) -> str:
    """The delimiter the header line uses: comma, or the semicolon a spreadsheet in a
    Latvian locale writes, or tab; whichever splits it into the most known columns.
    Only the header decides: a `;` inside a comma file's cell separates a list."""
    known = set(COLUMNS + EXPORT_ONLY)

    def columns(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(1 for cell in cells if cell.strip().lower() in known)

    return max(DELIMITERS, key=columns)  # on a tie the first: a comma


def _record(lines: list[str], at: int, delimiter: str) -> tuple[list[str] | None, int, str]:
    """The record starting at line index `at`: (cells or None, lines it spans, error).

    A quote still open where the lines run out (the file's end, or MAX_RECORD_LINES on)
    is an error: the reader reads one line past them to tell.
    """
    end = min(len(lines), at + MAX_RECORD_LINES)
    reader = csv.reader(
        itertools.chain((lines[i] for i in range(at, end)), ["\n"]), delimiter=delimiter
    )
    try:
        cells = next(reader)
    except csv.Error as exc:
        return None, 1, f"unreadable line: {exc}"
    if reader.line_num > end - at:
        return None, reader.line_num - 1, f'a quote (") opened on line {at + 1} is not closed'
    return cells, max(reader.line_num, 1), ""


def _a_row_of_its_own(line: str, header: list[str], delimiter: str) -> bool:
    """Whether a line reads as a whole row: balanced quotes, the header's width and an
    email address in the email column. A quoted description never holds such a line."""
    if line.count('"') % 2:
        return False
    cells = next(csv.reader([line], delimiter=delimiter), [])
    return len(cells) == len(header) and bool(
        EMAIL_CELL.fullmatch(cells[header.index("email")].strip())
    )


def _header(cells: list[str]) -> list[str]:
    header = [h.strip().lower() for h in cells]
    problems = [f"unknown column {h!r}" for h in header if h not in COLUMNS + EXPORT_ONLY]
    problems += [f"missing column {c!r}" for c in REQUIRED if c not in header]
    problems += [f"column {h!r} appears twice" for h in sorted(set(header)) if header.count(h) > 1]
    if problems:
        raise Invalid("the CSV header is not one Tilts can read", {"_header": problems})
    return header


def _unguard(cell: str) -> str:
    """A cell our own export guarded against spreadsheet formulas ('=...) reads as written."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_START):
        return cell[1:]
    return cell


def read_csv(text: str) -> list[dict]:
    """Rows of an organisations CSV (UTF-8, BOM tolerated; comma, semicolon or tab
    between cells, as the header line shows); lists split on ';'.

    A bad header is a 400 for the whole file; a bad line becomes a row whose `_error`
    says why, so the import reports it and goes on with the rest. Every row carries
    `_line`, the line of the file where it starts (the header is line 1), as a
    spreadsheet or an editor numbers it.
    """
    lines = _lines(text.lstrip("\ufeff"))
    delimiter = _delimiter(lines[0]) if lines else ","
    first, spans, error = _record(lines, 0, delimiter) if lines else (None, 0, "")
    if error:
        raise Invalid("the CSV header is not one Tilts can read", {"_header": [error]})
    if not first or not any(c.strip() for c in first):
        raise Invalid("the CSV is empty", {"_file": ["expected a header line"]})
    header = _header(first)
    rows = []
    at = spans
    while at < len(lines):
        line = at + 1
        cells, spans, error = _record(lines, at, delimiter)
        if cells is None:
            rows.append({"_line": line, "_error": {"_line": [error]}})
            at += 1
            continue
        if not any(cell.strip() for cell in cells):
            at += spans
            continue
        # a quote that took in a line which is a row of its own (a description left
        # open above good rows) was never closed: those rows are read on their own
        broken = spans > 1 and (
            any(
                ("\n" in c or "\r" in c)
                for k, c in zip(header, cells, strict=False)
                if k not in MULTILINE
            )
            or any(
                _a_row_of_its_own(lines[i], header, delimiter) for i in range(at + 1, at + spans)
            )
        )
        if broken or len(cells) != len(header):
            why = f"expected {len(header)} fields, got {len(cells)}"
            if spans > 1:  # a quote ran on over the next lines: read them on their own
                why = f'a quote (") opened on line {line} is not closed'
                spans = 1
            rows.append({"_line": line, "_error": {"_line": [why]}})
            at += spans
            continue
        row: dict = {"_line": line}
        for key, cell in zip(header, cells, strict=True):
            cell = _unguard(cell.strip())
            if key in EXPORT_ONLY:
                continue
            if key in LIST_COLUMNS:
                row[key] = [p.strip() for p in cell.split(";") if p.strip()]
            elif cell:
                row[key] = cell
        rows.append(row)
        at += spans
    return rows


def fields_of(row: dict) -> dict:
    """A read row as the registry takes it: without the reader's own keys."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def write_csv(rows: list[dict]) -> str:
    """Read rows back as CSV in the import format (what `tilts import` sends in parts)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, **{k: ";".join(row.get(k) or []) for k in LIST_COLUMNS}})
    return out.getvalue()


# -- HSDS 3.0 --------------------------------------------------------------------------
# HSDS ids are UUIDs: each is derived from the Tilts id (and what it names), so the same
# organisation or offer keeps the same id from one export to the next
TILTS_NS = uuid.UUID("6f1c2a9e-1d0b-5b7a-9c1e-7469c174732e")
TAXONOMIES = {
    "domain": ("tilts-domains", taxonomy.DOMAINS, "Tilts working group (domain)"),
    "region": ("tilts-regions", taxonomy.OFFER_REGIONS, "Region of Latvia where help is given"),
    "language": ("ISO 639-1", taxonomy.LANGUAGE_NAMES, "Language spoken"),
}


def listed(organisations: list[dict]) -> list[dict]:
    """The organisations a directory export lists: an erased one (no address left, so no
    one can reach it) is left out."""
    return [org for org in organisations if org.get("email")]


def hsds_id(*parts: str) -> str:
    """The UUID that stands for a Tilts object (or part of one) in HSDS."""
    return str(uuid.uuid5(TILTS_NS, ":".join(parts)))


def _present(obj: dict) -> dict:
    """HSDS types optional fields as strings: an unknown value is left out, not null."""
    return {k: v for k, v in obj.items() if v is not None and v != ""}


def _attribute(link_id: str, link_entity: str, kind: str, code: str) -> dict:
    name, table, description = TAXONOMIES[kind]
    term = hsds_id("term", kind, code)
    return {
        "id": hsds_id("attribute", link_entity, link_id, kind, code),
        "link_id": link_id,
        "link_type": kind,
        "link_entity": link_entity,
        "taxonomy_term_id": term,
        "value": taxonomy.name(table, code, "en"),
        "taxonomy_term": {
            "id": term,
            "code": code,
            "name": taxonomy.name(table, code, "en"),
            "description": description,
            "taxonomy": name,
        },
    }


def _service(offer: dict, org_uuid: str, org_verified: bool) -> dict:
    service_id = hsds_id("offer", offer["id"])
    live = org_verified and offer["status"] in ("active", "exhausted")
    return _present(
        {
            "id": service_id,
            "organization_id": org_uuid,
            "name": offer["title"],
            "description": offer.get("description"),
            "status": "active" if live else "inactive",
            "service_areas": [
                _present(
                    {
                        "id": hsds_id("offer", offer["id"], "region", region),
                        "service_id": service_id,
                        "name": taxonomy.name(taxonomy.OFFER_REGIONS, region, "en"),
                        "extent_type": "text",
                        "extent": taxonomy.name(taxonomy.OFFER_REGIONS, region, "en") + ", Latvia",
                        "description": f"tilts:region:{region}",
                    }
                )
                for region in offer.get("regions") or []
            ],
            "languages": [
                {
                    "id": hsds_id("offer", offer["id"], "language", code),
                    "service_id": service_id,
                    "name": taxonomy.name(taxonomy.LANGUAGE_NAMES, code, "en"),
                    "code": code,
                }
                for code in offer.get("languages") or []
            ],
            "attributes": [_attribute(service_id, "service", "domain", offer["domain"])],
        }
    )


def hsds(
    organisations: list[dict],
    offers: list[dict],
    include_unverified: bool = False,
    include_private: bool = False,
) -> dict:
    """Open Referral HSDS 3.0: organizations, each with its services (our offers),
    their service areas and languages.

    A directory for anyone to read: by default only verified organisations and their
    public offers; an erased organisation (no one can reach it) is left out. An offer
    of an organisation that is not verified is an inactive service.
    """
    by_org: dict[str, list[dict]] = {}
    for offer in offers:
        if include_private or offer.get("public", True):
            by_org.setdefault(offer["organisation_id"], []).append(offer)
    out = []
    for org in listed(organisations):
        verified = org.get("status") == "verified"
        if not (verified or include_unverified):
            continue
        org_uuid = hsds_id("organisation", org["id"])
        attributes = [
            _attribute(org_uuid, "organization", kind, code)
            for kind, key in (
                ("domain", "domains"),
                ("region", "regions"),
                ("language", "languages"),
            )
            for code in org.get(key) or []
        ]
        phones = (
            [
                {
                    "id": hsds_id("phone", org["id"]),
                    "organization_id": org_uuid,
                    "number": org["phone"],
                }
            ]
            if org.get("phone")
            else []
        )
        out.append(
            _present(
                {
                    "id": org_uuid,
                    "name": org["name"],
                    "description": org.get("description") or org["name"],
                    "email": org.get("email"),
                    "website": org.get("website"),
                    "phones": phones,
                    "organization_identifiers": [
                        {
                            "id": hsds_id("identifier", org["id"]),
                            "organization_id": org_uuid,
                            "identifier_scheme": "tilts",
                            "identifier_type": "Tilts organisation id",
                            "identifier": org["id"],
                        }
                    ],
                    "attributes": attributes,
                    "services": [
                        _service(offer, org_uuid, verified) for offer in by_org.get(org["id"], [])
                    ],
                }
            )
        )
    return {"organizations": out}


# -- HXL and the flat CSV ----------------------------------------------------------------
HXL_COLUMNS = [
    ("Organisation", "#org"),
    ("Sector", "#sector"),
    ("Region", "#adm1"),
    ("Email", "#contact+email"),
    ("Status", "#status"),
]


def spreadsheet_text(value):
    """A cell a spreadsheet shows as text: one starting like a formula gets a `'` first."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def hxl(organisations: list[dict]) -> str:
    """CSV with an HXL hashtag row: one line per organisation, domain and region.

    `nationwide` is no administrative area: an organisation working nationwide has
    its #adm1 empty (once, with its other regions if it names some). Erased
    organisations are left out."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for title, _ in HXL_COLUMNS])
    writer.writerow([tag for _, tag in HXL_COLUMNS])
    for org in listed(organisations):
        regions = org.get("regions") or [""]
        adm1 = list(dict.fromkeys("" if r == taxonomy.NATIONWIDE else r for r in regions))
        for domain in org.get("domains") or [""]:
            for region in adm1:
                cells = [org["name"], domain, region, org.get("email") or "", org["status"]]
                writer.writerow([spreadsheet_text(c) for c in cells])
    return out.getvalue()


def flat_csv(organisations: list[dict]) -> str:
    """The import format again: what `tilts import` reads, `tilts export --format csv`
    writes (its id and status columns are ignored on import; cells guarded against
    spreadsheet formulas read back as they were). Erased organisations are left out."""
    out = io.StringIO()
    columns = list(COLUMNS) + list(EXPORT_ONLY)
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for org in listed(organisations):
        row = {**org, **{k: ";".join(org.get(k) or []) for k in LIST_COLUMNS}}
        writer.writerow({k: spreadsheet_text(row.get(k)) for k in columns})
    return out.getvalue()
