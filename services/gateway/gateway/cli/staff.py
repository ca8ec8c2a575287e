"""`tilts staff add|list|remove`: staff accounts, by an admin's token or the operator."""

import json
from urllib.parse import quote

from tilts_contracts import taxonomy
from tilts_contracts.tokens import STAFF_ROLES

from .common import api_session


def run(args, config) -> int:
    session, base = api_session(config, "admin")
    if args.action == "add":
        body = {"email": args.email, "role": args.role, "domains": args.domain or []}
        reply = session.post(f"{base}/api/staff", json=body, timeout=15)
        reply.raise_for_status()
        added = reply.json()
        print(f"added {added['email']} ({added['role']}) as {added['account']}")
    elif args.action == "remove":
        reply = session.delete(f"{base}/api/staff/{quote(args.email, safe='@')}", timeout=15)
        reply.raise_for_status()
        print(f"removed {args.email}")
    else:
        reply = session.get(f"{base}/api/staff", timeout=15)
        reply.raise_for_status()
        items = reply.json()["items"]
        if args.json:
            print(json.dumps(items, ensure_ascii=False, indent=2))
        for s in [] if args.json else items:
            print(f"{s['email']:<40} {s['role']:<12} {','.join(s['domains']) or '-'}")
    return 0


def register(sub) -> None:
    staff = sub.add_parser("staff", help="add, list or remove staff accounts (admins)")
    actions = staff.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an admin or a coordinator")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=STAFF_ROLES)
    add.add_argument(
        "--domain",
        action="append",
        choices=sorted(taxonomy.DOMAINS),
        help="a working group the coordinator leads (again for more)",
    )
    listing = actions.add_parser("list", help="list staff accounts")
    listing.add_argument("--json", action="store_true", help="JSON for scripts")
    remove = actions.add_parser("remove", help="remove a staff account")
    remove.add_argument("email")
    staff.set_defaults(run=run)
