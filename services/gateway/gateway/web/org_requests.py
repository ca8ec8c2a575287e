"""/org/requests: requests for help matching sent the organisation. Proposed ones get
Accept / Decline (with an optional reason and note), accepted ones "mark fulfilled"
with the quantity delivered; the rest is its history."""

from tilts_contracts import lifecycles
from tilts_contracts.errors import Conflict, Invalid

from . import org_forms
from .org import OrgPages, route
from .org_words import ORG
from .pages import language

HISTORY_SHOWN = 30  # the newest past requests shown with their need
# the state each answer leaves: finding it there already, a second click is done
ANSWERED = {"accept": "accepted", "decline": "declined", "fulfil": "fulfilled"}


class OrgRequestRoutes(OrgPages):
    @route("GET", "/org/requests", answer="text/html", query=("lang", "done"))
    def org_requests(self, request):
        """Requests waiting for an answer, accepted ones to deliver, and the history."""
        return self._org_do(request, self._org_requests)

    def _org_requests(self, request, me, status: int = 200, typed=None, errors=None, refused=None):
        matches = self._org_every(
            "matching", "list_matches", {"organisation_id": me["organisation_id"]}
        )
        matches.sort(key=lambda m: m.get("updated_at") or "", reverse=True)
        groups = {
            "proposed": [m for m in matches if m["status"] == "proposed"],
            "accepted": [m for m in matches if m["status"] == "accepted"],
        }
        groups["history"] = [m for m in matches if m["status"] not in lifecycles.OPEN_MATCH]
        groups["history"] = groups["history"][:HISTORY_SHOWN]
        # the need and offer each was proposed with (matching keeps the copies)
        detailed = {
            name: [self._rpc("matching", "match_details", m["id"]) for m in group]
            for name, group in groups.items()
        }
        return self._org_page(
            request,
            me,
            "requests.html",
            status,
            groups=detailed,
            typed=typed or {},
            errors=errors or {},
            refused=refused,
            reasons=lifecycles.DECLINE_REASONS,
        )

    @route(
        "POST",
        "/org/requests/<match_id>/<any(accept,decline,fulfil):action>",
        body="form",
        answer="text/html",
        page_errors=(400, 403, 409),
        page_or_json_errors=(404,),  # an unknown address is the JSON 404
        query=("lang",),
    )
    def org_request_answer(self, request, match_id, action):
        """Answer a request: 303 back saying so; a request answered already, or
        another's (404), is said on a page."""
        return self._org_do(
            request, lambda r, me: self._org_answer(r, me, match_id, action), post=True
        )

    def _org_answer(self, request, me, match_id: str, action: str):
        self._org_own(me, "matching", "get_match", match_id)
        said = _said(request.form, action)
        org_id, by = me["organisation_id"], me["account"]
        try:
            told = () if action == "accept" else (said,)  # accept takes nothing more
            self._rpc("matching", f"{action}_match", match_id, org_id, by, *told)
        except Invalid as exc:  # a note the privacy guard refuses, a quantity too large
            field = "note" if action == "decline" else "quantity"
            words = ORG[language(request)]
            errors = {match_id: org_forms.field_errors(exc, words, (field, "reason"))}
            typed = {match_id: request.form}
            return self._org_requests(request, me, 400, typed, errors)
        except Conflict as exc:  # answered meanwhile (another contact, the emailed link)
            if (exc.details or {}).get("status") == [ANSWERED[action]]:
                return self._org_back(request, "/org/requests", done=action)
            refused = {"id": match_id, "details": exc.details}
            return self._org_requests(request, me, 409, refused=refused)
        return self._org_back(request, "/org/requests", done=action)


def _said(form, action: str) -> dict:
    """What the form says with the answer: a decline's reason and note, a fulfilment's
    quantity (left out when blank: all of it)."""
    if action == "decline":
        reason = form.get("reason", "")
        return {"reason": reason or None, "note": form.get("note", "")[:2000]}
    if action == "fulfil":
        quantity = org_forms.whole(form.get("quantity", ""))
        return {"quantity": quantity} if quantity != "" else {}
    return {}
