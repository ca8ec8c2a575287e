"""`tilts token`: print a bearer token for the HTTP API."""

from tilts_contracts.tokens import ROLES, issue_token


def run(args, config) -> int:
    print(issue_token(config["AUTH_SECRET"], args.role, org=args.org, sub=args.sub, days=args.days))
    return 0


def register(sub) -> None:
    token = sub.add_parser("token", help="print a bearer token for the HTTP API")
    token.add_argument("role", choices=ROLES)
    token.add_argument("--org", help="organisation id (required for the organisation role)")
    token.add_argument("--sub", help="who the token is for (default: the role)")
    token.add_argument("--days", type=float, default=30, help="days until it expires (default 30)")
    token.set_defaults(run=run)
