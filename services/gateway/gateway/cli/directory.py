"""`tilts import` and `tilts export`: the organisation directory as CSV, HSDS or HXL."""

import csv
import io
import json
import sys
from pathlib import Path

from tqdm import tqdm

from .. import directory
from .common import api_session

CHUNK = 50


def _chunks(text: str):
    """The file's header with each run of CHUNK lines, so each request is a valid CSV."""
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    header, body = lines[0], lines[1:]
    for start in range(0, len(body), CHUNK):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(body[start : start + CHUNK])
        yield start, len(body[start : start + CHUNK]), out.getvalue()


def run_import(args, config) -> int:
    session, base = api_session(config, "coordinator")
    text = Path(args.file).read_text(encoding="utf-8-sig")
    total = max(len(text.splitlines()) - 1, 0)
    summary = {"created": 0, "duplicate": 0, "invalid": 0}
    problems = []
    with tqdm(total=total, unit="row", desc="importing", disable=args.quiet) as bar:
        for offset, count, chunk in _chunks(text):
            reply = session.post(
                f"{base}/api/organisations/import",
                data=chunk.encode("utf-8"),
                headers={"Content-Type": "text/csv"},
                timeout=300,
            )
            reply.raise_for_status()
            for row in reply.json()["rows"]:
                summary[row["result"]] += 1
                if row["result"] != "created":
                    problems.append({**row, "row": row["row"] + offset})
            bar.update(count)
    for row in problems:
        detail = row.get("existing_id") or json.dumps(row.get("errors"), ensure_ascii=False)
        print(f"row {row['row']}: {row['result']} {detail}")
    print(
        f"created {summary['created']}, duplicate {summary['duplicate']}, "
        f"invalid {summary['invalid']}"
    )
    return 0


def _all(session, base: str, path: str) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = session.get(f"{base}{path}", params=params, timeout=60)
        page.raise_for_status()
        body = page.json()
        items += body["items"]
        cursor = body["next"]
        if not cursor:
            return items


def run_export(args, config) -> int:
    session, base = api_session(config, "admin")
    organisations = _all(session, base, "/api/organisations")
    if args.format == "hsds":
        offers = _all(session, base, "/api/offers")
        text = json.dumps(directory.hsds(organisations, offers), ensure_ascii=False, indent=2)
    elif args.format == "hxl":
        text = directory.hxl(organisations)
    else:
        text = directory.flat_csv(organisations)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {len(organisations)} organisations to {args.output}", file=sys.stderr)
    return 0


def register(sub) -> None:
    imp = sub.add_parser("import", help="import organisations from a CSV file (progress bar)")
    imp.add_argument("file", help="UTF-8 CSV with a header: " + ", ".join(directory.COLUMNS))
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(run=run_import)
    exp = sub.add_parser("export", help="export the directory as HSDS 3.0 JSON, HXL or CSV")
    exp.add_argument("--format", choices=("hsds", "hxl", "csv"), default="hsds")
    exp.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    exp.set_defaults(run=run_export)
