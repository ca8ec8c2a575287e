"""`tilts orgs list|show|verify|suspend|reject-changes`: the organisations coordinators
review, and the changes of name, email or website they hold for review."""

from urllib.parse import quote

from .output import command, list_action, output_options, record

COLUMNS = ("id", "status", "name", "kind", "domains", "regions")
# `orgs list --changes`: what each asks to change, beside what the public sees now
CHANGES_COLUMNS = ("id", "status", "name", "pending_changes")
FIELDS = (
    "id",
    "status",
    "name",
    "kind",
    "email",
    "phone",
    "website",
    "domains",
    "regions",
    "languages",
    "preferred_language",
    "description",
    "pending_changes",
    "created_at",
    "updated_at",
)
FILTERS = ("status", "domain", "region", "q", "pending_changes")


def _show(api, args) -> dict:
    return api.call("GET", f"/api/organisations/{quote(args.id, safe='')}")


def _act(action: str):
    def act(api, args) -> dict:
        return api.call("POST", f"/api/organisations/{quote(args.id, safe='')}/{action}")

    return act


def _reject_changes(api, args) -> dict:
    body = {"json": {"reason": args.reason}} if args.reason is not None else {}
    path = f"/api/organisations/{quote(args.id, safe='')}/changes/reject"
    return api.call("POST", path, **body)


def _columns(args) -> tuple[str, ...]:
    return CHANGES_COLUMNS if args.pending_changes == "true" else COLUMNS


def show_org(console, org: dict, lang: str) -> None:
    console.print(record(org, FIELDS, lang))


def register(sub) -> None:
    out = output_options()
    orgs = sub.add_parser(
        "orgs", help="list, show, verify and suspend organisations; refuse held changes"
    )
    actions = orgs.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[out], help="organisations, oldest first")
    listing.add_argument("--status", help="pending, verified or suspended")
    listing.add_argument("--domain")
    listing.add_argument("--region")
    listing.add_argument("--q", help="part of the name (diacritics do not matter)")
    listing.add_argument(
        "--changes",
        dest="pending_changes",
        action="store_const",
        const="true",
        help="only those whose change of name, email or website waits for review",
    )
    list_action(listing, "/api/organisations", FILTERS, _columns)

    show = actions.add_parser("show", parents=[out], help="one organisation")
    show.add_argument("id")
    show.set_defaults(run=command(_show, show_org))

    for action, says in (("verify", "verify a registration"), ("suspend", "suspend one")):
        acting = actions.add_parser(action, parents=[out], help=says)
        acting.add_argument("id")
        acting.set_defaults(run=command(_act(action), show_org))

    rejecting = actions.add_parser(
        "reject-changes",
        parents=[out],
        help="refuse an organisation's change held for review (it is emailed why)",
    )
    rejecting.add_argument("id")
    rejecting.add_argument("--reason", help="why, for the organisation (at most 500 characters)")
    rejecting.set_defaults(run=command(_reject_changes, show_org))
