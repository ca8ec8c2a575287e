"""/org/offers: the organisation's offers; add one, change its capacity, dates and
regions, pause and resume it, withdraw it (with force when requests hold part of it)."""

import hashlib
import json
import secrets

from tilts_contracts.errors import Conflict, Invalid

from . import org_forms
from .org import OrgPages, route
from .org_words import ORG
from .pages import language

NEW_OFFER_FIELDS = (
    "title",
    "domain",
    "description",
    "capacity",
    "unit",
    "renews",
    "regions",
    "languages",
    "available_from",
    "available_until",
)
EDIT_FIELDS = ("capacity", "available_from", "available_until", "regions")
# the states each action leaves: finding one already, a second click is done
ACTED = {"pause": ["paused"], "resume": ["active", "exhausted"], "withdraw": ["withdrawn"]}


def creation_id(org_id: str, nonce: str, data: dict) -> str:
    """The new offer's id, from the form it was typed in and what it says: a second
    click, or a reload of the answer, makes no second offer, while the form sent again
    with other words (after going back) makes its own instead of vanishing."""
    typed = json.dumps(data, sort_keys=True, ensure_ascii=False)
    made = f"{org_id}:{nonce[:100]}:{typed}"
    return "off_" + hashlib.sha256(made.encode()).hexdigest()[:24]


class OrgOfferRoutes(OrgPages):
    @route("GET", "/org/offers", answer="text/html", query=("lang", "done"))
    def org_offers(self, request):
        """The organisation's offers and a form to add one."""
        return self._org_do(request, self._org_offers)

    def _org_offers(self, request, me, status: int = 200, typed=None, errors=None, refused=None):
        offers = self._org_every(
            "pledges", "list_offers", {"organisation_id": me["organisation_id"]}
        )
        fresh = typed is None
        typed = typed if typed is not None else {"public": "yes", "nonce": secrets.token_hex(12)}
        chosen = {k: typed.getlist(k) if not fresh else [] for k in ("regions", "languages")}
        return self._org_page(
            request,
            me,
            "offers.html",
            status,
            offers=offers,
            typed=typed,
            chosen=chosen,
            errors=errors or {},
            refused=refused or {},
        )

    @route(
        "POST",
        "/org/offers",
        body="form",
        answer="text/html",
        page_errors=(400, 403, 409),
        query=("lang",),
    )
    def org_offers_add(self, request):
        """Pledge an offer; a mistake comes back beside its field, all typed kept."""
        return self._org_do(request, self._org_add_offer, post=True)

    def _org_add_offer(self, request, me):
        org_id = me["organisation_id"]
        data = org_forms.offer_fields(request.form, org_id)
        nonce = request.form.get("nonce") or secrets.token_hex(12)
        offer_id = creation_id(org_id, nonce, data)
        try:
            self._rpc("pledges", "pledge_offer", data, offer_id, me["account"])
        except (Invalid, Conflict) as exc:
            errors = org_forms.field_errors(exc, ORG[language(request)], NEW_OFFER_FIELDS)
            status = 409 if isinstance(exc, Conflict) else 400
            return self._org_offers(request, me, status, typed=request.form, errors=errors)
        return self._org_back(request, "/org/offers")

    # -- one offer -------------------------------------------------------------------
    @route(
        "GET",
        "/org/offers/<offer_id>",
        answer="text/html",
        query=("lang",),
        page_or_json_errors=(404,),
    )
    def org_offer(self, request, offer_id):
        """The edit form of one offer (404 for an offer of another organisation)."""
        return self._org_do(request, lambda r, me: self._org_offer(r, me, offer_id))

    def _org_offer(self, request, me, offer_id, status=200, typed=None, errors=None):
        offer = self._org_own(me, "pledges", "get_offer", offer_id)
        if typed is None:
            typed, chosen = org_forms.offer_typed(offer), offer.get("regions") or []
        else:
            chosen = typed.getlist("regions")
        return self._org_page(
            request,
            me,
            "offer.html",
            status,
            offer=offer,
            typed=typed,
            chosen=chosen,
            errors=errors or {},
        )

    @route(
        "POST",
        "/org/offers/<offer_id>",
        body="form",
        answer="text/html",
        page_errors=(400, 403, 409),
        page_or_json_errors=(404,),  # an unknown address is the JSON 404
        query=("lang",),
    )
    def org_offer_save(self, request, offer_id):
        """Change capacity, dates and regions; 303 to the offers."""
        return self._org_do(request, lambda r, me: self._org_save_offer(r, me, offer_id), post=True)

    def _org_save_offer(self, request, me, offer_id):
        self._org_own(me, "pledges", "get_offer", offer_id)
        changes = org_forms.offer_changes(request.form)
        force = request.form.get("force") == "yes"
        try:
            self._rpc("pledges", "update_offer", offer_id, changes, force, me["account"])
        except (Invalid, Conflict) as exc:
            errors = org_forms.field_errors(exc, ORG[language(request)], EDIT_FIELDS)
            status = 409 if isinstance(exc, Conflict) else 400
            return self._org_offer(request, me, offer_id, status, request.form, errors)
        return self._org_back(request, "/org/offers")

    @route(
        "POST",
        "/org/offers/<offer_id>/<any(pause,resume,withdraw):action>",
        body="form",
        answer="text/html",
        page_errors=(400, 403, 409),
        page_or_json_errors=(404,),  # an unknown address is the JSON 404
        query=("lang",),
    )
    def org_offer_act(self, request, offer_id, action):
        """Pause, resume or withdraw; a refusal (such as a reserved offer's withdrawal
        without force) is said on the offers page beside the offer, with status 409."""
        return self._org_do(
            request, lambda r, me: self._org_act(r, me, offer_id, action), post=True
        )

    def _org_act(self, request, me, offer_id, action):
        self._org_own(me, "pledges", "get_offer", offer_id)
        by = me["account"]
        try:
            if action == "withdraw":
                force = request.form.get("force") == "yes"
                self._rpc("pledges", "withdraw_offer", offer_id, force, by)
            else:
                self._rpc("pledges", f"{action}_offer", offer_id, by)
        except Conflict as exc:
            if ((exc.details or {}).get("status") or [None])[0] in ACTED[action]:
                return self._org_back(request, "/org/offers")
            refused = {"id": offer_id, "action": action, "details": exc.details}
            return self._org_offers(request, me, 409, refused=refused)
        return self._org_back(request, "/org/offers")
