"""`tilts`: the coordinators' command line over the HTTP API.

Each command lives in its own module with a `register(subparsers)` function.
"""

import argparse
import json
import sys

import requests

from tilts_contracts import settings

from . import login, matches, needs, orgs, seed, staff, status, tokens, transfer
from .client import unreachable

COMMANDS = (tokens, login, staff, seed, transfer, status, needs, orgs, matches)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tilts", description="Tilts command line.")
    sub = top.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    config = settings.from_env()
    try:
        return args.run(args, config)
    except requests.HTTPError as exc:
        print(f"tilts: {_api_error(exc.response)}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:  # refused, timed out, cut off: no answer
        base = config["PUBLIC_URL"].rstrip("/")
        print(f"tilts: {unreachable(base, exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one readable line, not a traceback
        print(f"tilts: {exc}", file=sys.stderr)
        return 1


def _api_error(response) -> str:
    """What the API said went wrong, in its own words (its error body), not requests'."""
    if response is None:
        return "no answer from the gateway"
    try:
        error = response.json()["error"]
        details = json.dumps(error.get("details") or {}, ensure_ascii=False)
        return f"{response.status_code} {error['code']}: {error['message']} {details}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code}: {response.text[:500]}"


if __name__ == "__main__":
    sys.exit(main())
