"""`tilts import` and `tilts export`: the organisation directory as CSV, HSDS or HXL."""

import json
import sys
from pathlib import Path

from tqdm import tqdm

from tilts_contracts.errors import Invalid

from ..formats import directory
from .common import api_session

CHUNK = 50
RESULTS = ("created", "duplicate", "invalid")


def _problem(row: dict) -> str:
    """One report line as a person reads it: where, what, and why."""
    where = f"line {row['line']}" + (f" ({row['name']})" if row.get("name") else "")
    if row["result"] == "duplicate":
        matched = f" by {row['matched']}" if row.get("matched") else ""
        return f"{where}: duplicate{matched} of {row['existing_id']}"
    return f"{where}: invalid {json.dumps(row.get('errors'), ensure_ascii=False)}"


def _read(path: str) -> list[dict] | None:
    """The file's rows, or None after saying on stderr why it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        print(f"tilts: {path} is not UTF-8 ({exc.reason} at byte {exc.start})", file=sys.stderr)
        return None
    try:
        return directory.read_csv(text)
    except Invalid as exc:
        details = "; ".join(m for msgs in exc.details.values() for m in msgs)
        print(f"tilts: {path}: {exc.message}: {details}", file=sys.stderr)
        return None


def _send(session, base: str, part: list[dict]) -> list[dict]:
    """One part as a CSV of its own; its report lines, numbered as lines of the file."""
    reply = session.post(
        f"{base}/api/organisations/import",
        data=directory.write_csv(part).encode("utf-8"),
        headers={"Content-Type": "text/csv"},
        timeout=300,
    )
    reply.raise_for_status()
    # the part's n-th row is this file's row that starts on part[n-1]["_line"]
    return [{**line, "line": part[line["row"] - 1]["_line"]} for line in reply.json()["rows"]]


def run_import(args, config) -> int:
    """Read the file here (a bad line is reported with its line number and the rest goes
    on), then send the readable rows in parts of CHUNK, each a CSV of its own."""
    rows = _read(args.file)
    if rows is None:
        return 1
    session, base = api_session(config, "coordinator")
    readable = [r for r in rows if "_error" not in r]
    report = [
        {"result": "invalid", "line": r["_line"], "errors": r["_error"]}
        for r in rows
        if "_error" in r
    ]
    with tqdm(total=len(rows), unit="row", desc="importing", disable=args.quiet) as bar:
        bar.update(len(report))
        for start in range(0, len(readable), CHUNK):
            part = readable[start : start + CHUNK]
            report += _send(session, base, part)
            bar.update(len(part))
    for row in sorted((r for r in report if r["result"] != "created"), key=lambda r: r["line"]):
        print(_problem(row))
    summary = {k: sum(1 for r in report if r["result"] == k) for k in RESULTS}
    print(", ".join(f"{k} {n}" for k, n in summary.items()))
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
        document = directory.hsds(
            organisations,
            offers,
            include_unverified=args.include_unverified,
            include_private=args.include_private,
        )
        written = len(document["organizations"])  # the rules leave some out (unverified)
        text = json.dumps(document, ensure_ascii=False, indent=2)
    elif args.format == "hxl":
        text, written = directory.hxl(organisations), len(directory.listed(organisations))
    else:
        text = directory.flat_csv(organisations, args.include_private_persons)
        written = len(directory.listed(organisations))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {written} organisations to {args.output}", file=sys.stderr)
    return 0


def register(sub) -> None:
    imp = sub.add_parser("import", help="import organisations from a CSV file (progress bar)")
    imp.add_argument("file", help="UTF-8 CSV with a header: " + ", ".join(directory.COLUMNS))
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(run=run_import)
    exp = sub.add_parser("export", help="export the directory as HSDS 3.0 JSON, HXL or CSV")
    exp.add_argument("--format", choices=("hsds", "hxl", "csv"), default="hsds")
    exp.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    exp.add_argument(
        "--include-unverified",
        action="store_true",
        help="hsds: also pending and suspended organisations (their services inactive)",
    )
    exp.add_argument(
        "--include-private", action="store_true", help="hsds: also offers that are not public"
    )
    exp.add_argument(
        "--include-private-persons",
        action="store_true",
        help="csv: name private persons and give their contacts (a file to import again)",
    )
    exp.set_defaults(run=run_export)
