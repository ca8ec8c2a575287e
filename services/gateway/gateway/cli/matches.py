"""`tilts matches list`: what matching proposed, and where each request stands."""

from .output import list_action, output_options

COLUMNS = ("id", "status", "need_id", "organisation_id", "quantity", "score", "respond_by")
FILTERS = ("need_id", "organisation_id", "status")


def register(sub) -> None:
    matches = sub.add_parser("matches", help="list matches")
    actions = matches.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[output_options()], help="matches, oldest first")
    listing.add_argument("--need", dest="need_id", metavar="NEED_ID")
    listing.add_argument("--organisation", dest="organisation_id", metavar="ORG_ID")
    listing.add_argument("--status", help="proposed, accepted, declined, expired, ...")
    list_action(listing, "/api/matches", FILTERS, COLUMNS)
