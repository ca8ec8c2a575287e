"""`tilts needs post|list|show|cancel`: a coordinator's needs, over the HTTP API."""

from urllib.parse import quote

from .output import command, given, list_action, output_options, record, table, word

COLUMNS = ("id", "status", "domain", "region", "quantity", "urgency", "needed_by", "title")
FIELDS = (
    "id",
    "status",
    "title",
    "domain",
    "region",
    "languages",
    "quantity",
    "urgency",
    "needed_by",
    "case_ref",
    "description",
    "created_at",
    "updated_at",
)
MATCH_COLUMNS = ("id", "status", "organisation_id", "quantity", "score", "respond_by")
POSTED = ("domain", "title", "region", "quantity", "urgency", "needed_by", "case_ref")
FILTERS = ("status", "domain", "region", "urgency")


def _post(api, args) -> dict:
    body = given(args, (*POSTED, "description"))
    if args.language:
        body["languages"] = args.language
    return api.call("POST", "/api/needs", json=body)


def _show(api, args) -> dict:
    return api.call("GET", f"/api/needs/{quote(args.id, safe='')}")


def _cancel(api, args) -> dict:
    return api.call("POST", f"/api/needs/{quote(args.id, safe='')}/cancel")


def show_need(console, need: dict, lang: str) -> None:
    """The need, and the matches proposed for it with how each scored."""
    console.print(record(need, FIELDS, lang))
    if need.get("matches"):
        console.print(table(need["matches"], MATCH_COLUMNS, lang, title=word("matches", lang)))


def register(sub) -> None:
    out = output_options()
    needs = sub.add_parser("needs", help="post, list, show and cancel needs (coordinators)")
    actions = needs.add_subparsers(dest="action", required=True, metavar="ACTION")

    post = actions.add_parser("post", parents=[out], help="post a need; matching starts")
    post.add_argument("--domain", required=True, help="working group slug, e.g. legal")
    post.add_argument("--title", required=True)
    post.add_argument("--region", required=True, help="riga, vidzeme, kurzeme, ...")
    post.add_argument("--quantity", required=True, type=int)
    post.add_argument("--language", action="append", help="ISO 639-1 code; repeat for more")
    post.add_argument("--urgency", help="critical, high, normal (default) or low")
    post.add_argument("--needed-by", dest="needed_by", metavar="YYYY-MM-DD")
    post.add_argument("--case-ref", dest="case_ref", help="your reference, never a name")
    post.add_argument("--description")
    post.set_defaults(run=command(_post, show_need))

    listing = actions.add_parser("list", parents=[out], help="needs, newest last")
    for name in FILTERS:
        listing.add_argument(f"--{name}")
    list_action(listing, "/api/needs", FILTERS, COLUMNS)

    show = actions.add_parser("show", parents=[out], help="a need with its matches")
    show.add_argument("id")
    show.set_defaults(run=command(_show, show_need))

    cancel = actions.add_parser("cancel", parents=[out], help="cancel a need")
    cancel.add_argument("id")
    cancel.set_defaults(run=command(_cancel, show_need))
