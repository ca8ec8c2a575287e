"""The organisation directory in and out: the import CSV read and written, and the
exports (flat CSV, HXL here; HSDS in hsds.py). Pure."""

import csv
import io
import itertools
import re

from tilts_contracts import taxonomy
from tilts_contracts.errors import Invalid
from tilts_contracts.schemas.organisations import PROFILE_FIELDS

from .hsds import hsds, hsds_id  # noqa: F401 - every format of the directory, one import
from .reachable import listed, unnamed
from .spreadsheet import spreadsheet_text, unguard

COLUMNS = ("name", "kind", *PROFILE_FIELDS[1:])
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


def _first_header(lines: list[str], delimiter: str) -> tuple[list[str], int]:
    """The header and how many lines it spans, or a 400 for the whole file."""
    first, spans, error = _record(lines, 0, delimiter) if lines else (None, 0, "")
    if error:
        raise Invalid("the CSV header is not one Tilts can read", {"_header": [error]})
    if not first or not any(c.strip() for c in first):
        raise Invalid("the CSV is empty", {"_file": ["expected a header line"]})
    return _header(first), spans


def _ran_on(lines: list[str], at: int, spans: int, cells: list[str], header, delimiter) -> bool:
    """Whether a quote took in a line which is a row of its own (a description left open
    above good rows), or a line break outside a description: it was never closed."""
    if spans <= 1:
        return False
    return any(
        ("\n" in c or "\r" in c) for k, c in zip(header, cells, strict=False) if k not in MULTILINE
    ) or any(_a_row_of_its_own(lines[i], header, delimiter) for i in range(at + 1, at + spans))


def _fields(header: list[str], cells: list[str], line: int) -> dict:
    """A good record as a row: lists split on ';', empty cells and export-only columns left out."""
    row: dict = {"_line": line}
    for key, cell in zip(header, cells, strict=True):
        cell = unguard(cell.strip())
        if key in EXPORT_ONLY:
            continue
        if key in LIST_COLUMNS:
            row[key] = [p.strip() for p in cell.split(";") if p.strip()]
        elif cell:
            row[key] = cell
    return row


def _row_at(lines: list[str], at: int, header, delimiter) -> tuple[dict | None, int]:
    """The row starting at line index `at` (None for a blank one), and the lines it spans."""
    line = at + 1
    cells, spans, error = _record(lines, at, delimiter)
    if cells is None:
        return {"_line": line, "_error": {"_line": [error]}}, 1
    if not any(cell.strip() for cell in cells):
        return None, spans
    if _ran_on(lines, at, spans, cells, header, delimiter) or len(cells) != len(header):
        why = f"expected {len(header)} fields, got {len(cells)}"
        if spans > 1:  # a quote ran on over the next lines: read them on their own
            why = f'a quote (") opened on line {line} is not closed'
            spans = 1
        return {"_line": line, "_error": {"_line": [why]}}, spans
    return _fields(header, cells, line), spans


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
    header, at = _first_header(lines, delimiter)
    rows = []
    while at < len(lines):
        row, spans = _row_at(lines, at, header, delimiter)
        if row is not None:
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


HXL_COLUMNS = [
    ("Organisation", "#org"),
    ("Sector", "#sector"),
    ("Region", "#adm1"),
    ("Email", "#contact+email"),
    ("Status", "#status"),
]


def hxl(organisations: list[dict]) -> str:
    """CSV with an HXL hashtag row: one line per organisation, domain and region.

    `nationwide` is no administrative area: an organisation working nationwide has
    its #adm1 empty (once, with its other regions if it names some). Erased
    organisations are left out."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for title, _ in HXL_COLUMNS])
    writer.writerow([tag for _, tag in HXL_COLUMNS])
    for org in map(unnamed, listed(organisations)):
        regions = org.get("regions") or [""]
        adm1 = list(dict.fromkeys("" if r == taxonomy.NATIONWIDE else r for r in regions))
        for domain in org.get("domains") or [""]:
            for region in adm1:
                cells = [org["name"], domain, region, org.get("email") or "", org["status"]]
                writer.writerow([spreadsheet_text(c) for c in cells])
    return out.getvalue()


def flat_csv(organisations: list[dict], name_private_persons: bool = False) -> str:
    """The import format again: what `tilts import` reads, `tilts export --format csv`
    writes (its id and status columns are ignored on import; cells guarded against
    spreadsheet formulas read back as they were). Erased organisations are left out; a
    private person is "a private person" with no contact, unless an admin asks for the
    whole file to import again (`name_private_persons`)."""
    out = io.StringIO()
    columns = list(COLUMNS) + list(EXPORT_ONLY)
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    shown = listed(organisations)
    for org in shown if name_private_persons else map(unnamed, shown):
        row = {**org, **{k: ";".join(org.get(k) or []) for k in LIST_COLUMNS}}
        writer.writerow({k: spreadsheet_text(row.get(k)) for k in columns})
    return out.getvalue()
