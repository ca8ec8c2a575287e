"""`tilts`: the coordinators' command line (tokens, demo data) over the HTTP API."""

import argparse
import sys

import requests

from tilts_contracts import settings
from tilts_contracts.tokens import ROLES, issue_token

from . import demo


def api_session(config: dict, role: str = "admin") -> tuple[requests.Session, str]:
    session = requests.Session()
    token = issue_token(config["AUTH_SECRET"], role, sub="tilts-cli", days=1)
    session.headers["Authorization"] = f"Bearer {token}"
    return session, config["PUBLIC_URL"].rstrip("/")


def cmd_token(args, config) -> int:
    print(issue_token(config["AUTH_SECRET"], args.role, org=args.org, sub=args.sub, days=args.days))
    return 0


def _ensure_org(session, base: str, fields: dict) -> str:
    reply = session.post(f"{base}/api/organisations", json=fields, timeout=30)
    if reply.status_code == 409:
        return reply.json()["error"]["details"]["existing_id"]
    reply.raise_for_status()
    return reply.json()["id"]


def cmd_seed_demo(args, config) -> int:
    """Register, verify and pledge for the 2015 lead organisations (safe to run twice)."""
    session, base = api_session(config, "coordinator")
    for entry in demo.ORGANISATIONS:
        fields = {k: v for k, v in entry.items() if k != "offer"}
        org_id = _ensure_org(session, base, fields)
        org = session.get(f"{base}/api/organisations/{org_id}", timeout=30).json()
        if org["status"] == "pending":
            session.post(f"{base}/api/organisations/{org_id}/verify", timeout=30).raise_for_status()
        offers = session.get(
            f"{base}/api/offers", params={"organisation_id": org_id}, timeout=30
        ).json()
        if not offers["items"]:
            reply = session.post(
                f"{base}/api/offers", json={**entry["offer"], "organisation_id": org_id}, timeout=30
            )
            reply.raise_for_status()
        print(f"{org_id}  {fields['name']}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tilts", description="Tilts command line.")
    sub = top.add_subparsers(dest="command", required=True)

    token = sub.add_parser("token", help="print a bearer token for the HTTP API")
    token.add_argument("role", choices=ROLES)
    token.add_argument("--org", help="organisation id (required for the organisation role)")
    token.add_argument("--sub", help="who the token is for (default: the role)")
    token.add_argument("--days", type=float, default=30, help="days until it expires (default 30)")
    token.set_defaults(run=cmd_token)

    seed = sub.add_parser("seed-demo", help="load the 2015 organisations and their offers")
    seed.set_defaults(run=cmd_seed_demo)
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
