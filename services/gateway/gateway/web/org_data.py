"""/org/data: "download our data" (the API's JSON export, as a file) and "erase our
organisation" (the name typed to confirm; the registry's erasure ends every session
and token of the organisation, and this browser's cookie goes too)."""

import json

from werkzeug.wrappers import Response

from ..api.organisations import exported
from . import session
from .org import OrgPages, route
from .org_words import ORG
from .pages import language, page


def same_name(typed: str, name: str) -> bool:
    """The confirmation: the name as shown, spacing and letter case aside."""
    return " ".join(typed.split()).casefold() == " ".join(name.split()).casefold()


class OrgDataRoutes(OrgPages):
    @route("GET", "/org/data", answer="text/html", query=("lang",))
    def org_data(self, request):
        """The download, and the erasure form."""
        return self._org_do(request, self._org_data)

    def _org_data(self, request, me, status: int = 200, typed=None, errors=None):
        return self._org_page(
            request, me, "data.html", status, typed=typed or {}, errors=errors or {}
        )

    @route(
        "GET",
        "/org/data/export",
        answer=("application/json", "text/html"),
        query=("lang",),
    )
    def org_data_export(self, request):
        """Everything Tilts holds about the organisation, as a JSON file to save."""
        return self._org_do(request, self._org_export)

    def _org_export(self, request, me):
        held = exported(self, me["organisation_id"])
        body = json.dumps(held, ensure_ascii=False, indent=2)
        response = Response(body, content_type="application/json; charset=utf-8")
        name = f"tilts-{me['organisation_id']}.json"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @route(
        "POST",
        "/org/data/erase",
        body="form",
        answer="text/html",
        page_errors=(400, 403),
        query=("lang",),
    )
    def org_data_erase(self, request):
        """Erase the organisation once its name is typed; everyone of it is signed out."""
        return self._org_do(request, self._org_erase, post=True)

    def _org_erase(self, request, me):
        lang = language(request)
        org = self._org(me)
        typed = request.form.get("confirm", "")[:300]
        if not same_name(typed, org["name"]):
            errors = {"confirm": [ORG[lang]["erase_mismatch"]]}
            return self._org_data(request, me, 400, typed=request.form, errors=errors)
        self._rpc("registry", "erase_organisation", me["organisation_id"], me["account"])
        sid = session.session_id(request)
        if sid:
            self.access.forget(("session", sid))
        response = page(self, "org/erased.html", 200, lang=lang, o=ORG[lang])
        session.clear_cookie(response, session.SESSION_COOKIE, self.secure)
        return response
