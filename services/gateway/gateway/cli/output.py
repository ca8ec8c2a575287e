"""How the daily-work commands answer: a readable table (rich) by default, the API's
JSON with `--json`, and one line on stderr when the gateway refuses or is not there."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.table import Table

from .client import Api, NoToken, Refused, Unreachable

# column and field names as a coordinator reads them
WORDS: dict[str, dict[str, str]] = {
    "id": {"lv": "id", "en": "id"},
    "status": {"lv": "statuss", "en": "status"},
    "domain": {"lv": "darba grupa", "en": "working group"},
    "domains": {"lv": "darba grupas", "en": "working groups"},
    "region": {"lv": "reģions", "en": "region"},
    "regions": {"lv": "reģioni", "en": "regions"},
    "languages": {"lv": "valodas", "en": "languages"},
    "quantity": {"lv": "daudzums", "en": "quantity"},
    "urgency": {"lv": "steidzamība", "en": "urgency"},
    "needed_by": {"lv": "vajadzīgs līdz", "en": "needed by"},
    "title": {"lv": "nosaukums", "en": "title"},
    "description": {"lv": "apraksts", "en": "description"},
    "case_ref": {"lv": "lietas atsauce", "en": "case reference"},
    "name": {"lv": "nosaukums", "en": "name"},
    "kind": {"lv": "veids", "en": "kind"},
    "email": {"lv": "e-pasts", "en": "email"},
    "phone": {"lv": "tālrunis", "en": "phone"},
    "website": {"lv": "tīmekļa vietne", "en": "website"},
    "preferred_language": {"lv": "saziņas valoda", "en": "preferred language"},
    "need_id": {"lv": "vajadzība", "en": "need"},
    "offer_id": {"lv": "piedāvājums", "en": "offer"},
    "organisation_id": {"lv": "organizācija", "en": "organisation"},
    "score": {"lv": "vērtējums", "en": "score"},
    "respond_by": {"lv": "atbildēt līdz", "en": "respond by"},
    "pending_changes": {"lv": "gaida pārbaudi", "en": "held for review"},
    "created_at": {"lv": "izveidots", "en": "created"},
    "updated_at": {"lv": "mainīts", "en": "updated"},
    "matches": {"lv": "piedāvātā palīdzība", "en": "matches"},
    "more": {"lv": "vēl ir: turpiniet ar", "en": "more: go on with"},
    "none": {"lv": "nekā nav", "en": "nothing found"},
}
LANGS = ("lv", "en")


def word(key: str, lang: str) -> str:
    return WORDS.get(key, {}).get(lang, key)


def output_options() -> argparse.ArgumentParser:
    """`--json` and `--lang`, shared by every daily-work command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the API's JSON, for scripts")
    common.add_argument("--lang", choices=LANGS, default="en", help="table language (en)")
    return common


def cell(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    if isinstance(value, dict):  # e.g. held changes: "name: New name; website: —"
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items()) or "—"
    return str(value)


def table(rows: Sequence[dict], columns: Sequence[str], lang: str, title: str = "") -> Table:
    shown = Table(title=title or None, title_justify="left", show_lines=False)
    for key in columns:
        if key == "id" or key.endswith("_id"):  # whole, to copy: other columns give way
            longest = max((len(cell(row.get(key))) for row in rows), default=2)
            shown.add_column(word(key, lang), no_wrap=True, min_width=longest)
        else:
            shown.add_column(word(key, lang), overflow="fold")
    for row in rows:
        shown.add_row(*(cell(row.get(key)) for key in columns))
    return shown


def record(doc: dict, fields: Sequence[str], lang: str) -> Table:
    """One resource as two columns: what, and its value."""
    shown = Table(show_header=False, box=None, pad_edge=False)
    shown.add_column(style="bold", no_wrap=True)
    shown.add_column(overflow="fold")
    for key in fields:
        if key in doc:
            shown.add_row(word(key, lang), cell(doc[key]))
    return shown


def page(columns: Sequence[str]) -> Callable[[Console, dict, str], None]:
    """A list's renderer: its items as a table, and how to read on if there is more."""

    def render(console: Console, data: dict, lang: str) -> None:
        if not data["items"]:
            console.print(word("none", lang))
            return
        console.print(table(data["items"], columns, lang))
        if data.get("next"):
            console.print(f"{word('more', lang)} --cursor {data['next']}")

    return render


Action = Callable[[Api, argparse.Namespace], dict]
Render = Callable[[Console, dict, str], None]


def command(action: Action, render: Render) -> Callable[[argparse.Namespace, dict], int]:
    """A command's run: 0 done; 1 the gateway refused or did not answer (its message on
    stderr, never a traceback); 2 nothing to sign in with (bad usage, as argparse's)."""

    def run(args: argparse.Namespace, config: dict) -> int:
        try:
            api = Api(config)
        except NoToken as exc:
            print(f"tilts: {exc}", file=sys.stderr)
            return 2
        try:
            data = action(api, args)
        except (Refused, Unreachable) as exc:
            print(f"tilts: {exc}", file=sys.stderr)
            return 1
        finally:
            api.close()
        if args.json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            render(Console(soft_wrap=False, highlight=False), data, args.lang)
        return 0

    return run


def given(args: argparse.Namespace, names: Sequence[str]) -> dict:
    """The options of `names` the caller gave (dashes as the API's underscores)."""
    values = {name: getattr(args, name, None) for name in names}
    return {k: v for k, v in values.items() if v is not None and v != []}


def list_action(parser: argparse.ArgumentParser, path: str, filters, columns) -> None:
    """`parser` as a list command: --limit and --cursor beside its filters (the options
    it declared for `filters`), a page of GET `path` shown as `columns` (or as the
    columns `columns(args)` chooses for what was asked)."""
    parser.add_argument("--limit", type=int, help="at most this many (1-500, default 50)")
    parser.add_argument("--cursor", help="go on from where the last page ended")

    def fetch(api: Api, args: argparse.Namespace) -> dict:
        params = {**given(args, filters), **given(args, ("limit", "cursor"))}
        return api.call("GET", path, params=params)

    def run(args: argparse.Namespace, config: dict) -> int:
        shown = columns(args) if callable(columns) else columns
        return command(fetch, page(shown))(args, config)

    parser.set_defaults(run=run)
