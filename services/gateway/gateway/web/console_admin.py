"""The console's watch pages: gaps (the dashboard's table, each cell leading to the needs
waiting there), the outbox (failed mail with its reason, Resend), and for admins the
audit log and staff accounts (list, add, remove)."""

from tilts_contracts import lifecycles
from tilts_contracts.errors import Conflict, Invalid, NotFound
from tilts_contracts.schemas import notifications as note_schemas

from ..api.audit import AUDIT, merged_log
from ..api.listing import checked_filters
from ..api.notifications import NOTE_CURSOR, NOTE_ID
from .console import ConsolePages, console_page, route, say
from .console_fields import field_errors
from .console_words import CONSOLE
from .documents import domain_totals
from .pages import language

PAGE = 30
STAFF_FIELDS = ("email", "role", "domains")


class ConsoleWatchRoutes(ConsolePages):
    @route("GET", "/console/gaps", answer="text/html", query=("lang",), page_errors=(503,))
    @console_page()
    def console_gaps(self, request, me):
        """Needs and free capacity by working group and region, linked to the needs."""
        board = self._rpc("pledges", "dashboard")
        return self._console(
            request, "console/gaps.html", me, board=board, totals=domain_totals(board["grid"])
        )

    @route("GET", "/console/outbox", answer="text/html", query=("lang", "status", "cursor", "note"),
           page_errors=(400, 503))  # fmt: skip
    @console_page()
    def console_outbox(self, request, me):
        """Mail by status (failed first), with the reason it could not be sent."""
        lang, args = language(request), request.args
        filters = {"status": args.get("status", "failed")[:20]}
        cursor = args.get("cursor") or None
        errors = {}
        try:
            checked_filters(filters, {"status": note_schemas.FILTERS["status"]})
            if cursor and not NOTE_CURSOR.fullmatch(cursor):
                raise Invalid("cursor", {"cursor": ["not one this list gave out"]})
            page = self._rpc("notify", "list_notifications", filters, PAGE, cursor)
        except Invalid as exc:
            errors, page = field_errors(exc.details, lang, ("status",)), {"items": [], "next": None}
        words = CONSOLE[lang]
        return self._console(
            request, "console/outbox.html", me, 400 if errors else 200,
            page=page, filters=filters, errors=errors, cursor=cursor,
            status_options=[(s, words["statuses"].get(s, s))
                            for s in lifecycles.NOTIFICATION_STATUSES],
            note=say(words, args.get("note", "")),
        )  # fmt: skip

    @route("POST", "/console/outbox/<note_id>/resend", body="form", answer="text/html",
           page_errors=(403, 404, 503))  # fmt: skip
    @console_page(form=True)
    def console_resend(self, request, me, note_id):
        """Send a message again; a second click (being sent, just sent) changes nothing."""
        if not NOTE_ID.fullmatch(note_id):
            raise NotFound("no such notification", {"id": note_id[:60]})
        try:
            self._rpc("notify", "resend", note_id)
            note = "resent"
        except Conflict:
            note = "resend_conflict"
        return self._back(request, "/console/outbox", note=note)

    @route("GET", "/console/audit", answer="text/html", page_errors=(400, 403, 503),
           query=("lang", "actor", "object_id", "since", "cursor"))  # fmt: skip
    @console_page(admin=True)
    def console_audit(self, request, me):
        """Who changed what, when: every service's log, newest first (admins)."""
        lang, args = language(request), request.args
        filters = {k: args[k].strip() for k in AUDIT.filters if args.get(k, "").strip()}
        cursor = args.get("cursor") or None
        errors = {}
        try:
            checked_filters(filters, AUDIT.filters)
            too_long = [k for k, n in AUDIT.max_text.items() if len(filters.get(k, "")) > n]
            if too_long or (cursor and not AUDIT.cursor.fullmatch(cursor)):
                bad = too_long or ["cursor"]
                raise Invalid(
                    "filters", {k: ["too long or not one this log gave out"] for k in bad}
                )
            page = merged_log(self, filters, PAGE, cursor)
        except Invalid as exc:
            errors = field_errors(exc.details, lang, ("actor", "object_id", "since"))
            page = {"items": [], "next": None}
        return self._console(
            request, "console/audit.html", me, 400 if errors else 200,
            page=page, filters=filters, errors=errors, cursor=cursor,
        )  # fmt: skip

    def _staff_page(self, request, me, status=200, typed=None, errors=None, note=""):
        staff = self._rpc("registry", "list_staff")["items"]
        return self._console(
            request, "console/staff.html", me, status,
            staff=sorted(staff, key=lambda s: s["email"]), typed=typed or {}, errors=errors or {},
            note=note, role_options=list(CONSOLE[language(request)]["roles"].items()),
        )  # fmt: skip

    @route("GET", "/console/staff", answer="text/html", query=("lang",), page_errors=(403, 503))
    @console_page(admin=True)
    def console_staff(self, request, me):
        """Staff accounts, and a form to add one (admins)."""
        return self._staff_page(request, me)

    @route("POST", "/console/staff", body="form", answer="text/html",
           page_errors=(400, 403, 503))  # fmt: skip
    @console_page(form=True, admin=True)
    def console_add_staff(self, request, me):
        """Add a staff member; a refusal beside its field, with what was typed."""
        lang, form = language(request), request.form
        data = {
            "email": form.get("email", "").strip(),
            "role": form.get("role", ""),
            "domains": [d for d in form.getlist("domains") if d],
        }
        try:
            added = self._rpc("registry", "add_staff", data, me["account"])
        except Invalid as exc:
            errors = field_errors(exc.details, lang, STAFF_FIELDS)
            return self._staff_page(request, me, 400, typed=form, errors=errors)
        note = say(CONSOLE[lang], "added_ok", email=added["email"])
        return self._staff_page(request, me, note=note)

    @route("POST", "/console/staff/remove", body="form", answer="text/html",
           page_errors=(403, 503))  # fmt: skip
    @console_page(form=True, admin=True)
    def console_remove_staff(self, request, me):
        """End a staff account; one removed already (a second click) is left as it is."""
        email = request.form.get("email", "")[:254]
        try:
            self._rpc("registry", "remove_staff", email, me["account"])
        except NotFound:
            pass  # removed already, or never staff: the list shows who is
        note = say(CONSOLE[language(request)], "removed_ok", email=email)
        return self._staff_page(request, me, note=note)
