"""`tilts login`: keep a personal token for the command line (no AUTH_SECRET needed)."""

import getpass
import os
import sys

import requests

from tilts_contracts import settings

HOW = """To use the command line, make a personal API token:
  1. sign in at {url}/signin (a link comes by email),
  2. on {url}/org or {url}/console, under "API tokens", make a token,
  3. paste it here (or run: tilts login --token TOKEN)."""


def read_token(args, config) -> str:
    if args.token:
        return args.token.strip()
    print(HOW.format(url=config["PUBLIC_URL"].rstrip("/")), file=sys.stderr)
    if sys.stdin.isatty():
        return getpass.getpass("Token: ").strip()
    return sys.stdin.readline().strip()


def store(token: str) -> str:
    """Write the token where only its owner can read it (0600, in a 0700 directory)."""
    path = settings.token_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    os.chmod(path, 0o600)  # an older file keeps its mode through O_CREAT
    return str(path)


def run(args, config) -> int:
    token = read_token(args, config)
    if not token:
        print("tilts: no token given", file=sys.stderr)
        return 2
    base = config["PUBLIC_URL"].rstrip("/")
    reply = requests.get(
        f"{base}/api/tokens", headers={"Authorization": f"Bearer {token}"}, timeout=15
    )
    reply.raise_for_status()  # the gateway's own words on a refused token (exit 1)
    print(f"tilts: token checked with {base} and kept in {store(token)}")
    return 0


def register(sub) -> None:
    login = sub.add_parser("login", help="keep a personal API token for the command line")
    login.add_argument("--token", help="the token (else it is asked for, or read from stdin)")
    login.set_defaults(run=run)
