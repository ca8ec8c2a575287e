"""`tilts`: the coordinators' command line over the HTTP API.

Each command lives in its own module with a `register(subparsers)` function.
"""

import argparse
import sys

import requests

from tilts_contracts import settings

from . import directory, seed, status, tokens

COMMANDS = (tokens, seed, directory, status)


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
    except requests.ConnectionError:
        print(
            f"tilts: cannot reach the gateway at {config['PUBLIC_URL']} (is `make run` up?)",
            file=sys.stderr,
        )
        return 2
    except requests.HTTPError as exc:
        body = exc.response.text[:500] if exc.response is not None else ""
        print(f"tilts: {exc}\n{body}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one readable line, not a traceback
        print(f"tilts: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
