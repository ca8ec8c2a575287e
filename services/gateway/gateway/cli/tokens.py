"""`tilts token`: the operator's bearer token for the HTTP API (needs AUTH_SECRET).

People use their own personal tokens (`tilts login`); this one is for whoever runs
the server, lives a day unless asked, and never more than 30 days."""

import argparse

from tilts_contracts import settings
from tilts_contracts.tokens import OPERATOR, OPERATOR_DAYS, OPERATOR_MAX_DAYS, ROLES, issue_token


def days(text: str) -> float:
    value = float(text)
    if not 0 < value <= OPERATOR_MAX_DAYS:
        raise argparse.ArgumentTypeError(f"more than 0, at most {OPERATOR_MAX_DAYS}")
    return value


def run(args, config) -> int:
    secret = settings.signing_secret(config)  # refused in one line if anyone could sign
    issuer = config["PUBLIC_URL"].rstrip("/")
    sub = args.sub or OPERATOR
    print(issue_token(secret, args.role, org=args.org, sub=sub, days=args.days, issuer=issuer))
    return 0


def register(sub) -> None:
    token = sub.add_parser("token", help="print the operator's bearer token (needs AUTH_SECRET)")
    token.add_argument("role", choices=ROLES)
    token.add_argument("--org", help="organisation id (required for the organisation role)")
    token.add_argument("--sub", help="who the token is for (default: operator)")
    token.add_argument(
        "--days",
        type=days,
        default=OPERATOR_DAYS,
        help=f"days until it expires (default {OPERATOR_DAYS}, at most {OPERATOR_MAX_DAYS})",
    )
    token.set_defaults(run=run)
