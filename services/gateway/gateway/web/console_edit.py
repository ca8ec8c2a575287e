"""Editing a need on the console: the form filled with the need as it stands, the same
refusals as posting (beside each field, typed kept), and a lead held to its groups."""

from werkzeug.datastructures import MultiDict

from tilts_contracts import lifecycles, taxonomy
from tilts_contracts.errors import Conflict, Forbidden, Invalid

from ..api.base import checked_id
from .console import console_page, route, within
from .console_fields import field_errors
from .console_needs import FORM_FIELDS, ConsoleNeedRoutes, groups_of, may_change, need_body
from .console_words import CONSOLE
from .pages import language

TEXT_FIELDS = ("title", "domain", "region", "urgency", "description", "case_ref")


def as_typed(need: dict) -> MultiDict:
    """The need as its form shows it: named languages ticked, the others as codes."""
    typed = MultiDict({k: need.get(k) or "" for k in TEXT_FIELDS})
    typed["quantity"] = str(need.get("quantity", ""))
    typed["needed_by"] = need.get("needed_by") or ""
    codes = need.get("languages") or []
    typed.setlist("languages", [c for c in codes if c in taxonomy.LANGUAGE_NAMES])
    typed["languages_other"] = ", ".join(c for c in codes if c not in taxonomy.LANGUAGE_NAMES)
    return typed


class ConsoleEditRoutes(ConsoleNeedRoutes):  # its form and its need's page
    def _editable(self, request, me, need_id: str):
        """(the need, None), or (None, the page saying why it cannot be edited here)."""
        lang = language(request)
        need = self._rpc("pledges", "get_need", checked_id(need_id, "need"))
        if not may_change(me, need):
            name = taxonomy.name(taxonomy.DOMAINS, need["domain"], lang)
            why = CONSOLE[lang]["not_yours_page"].format(domain=name, groups=groups_of(me, lang))
            return None, self._not_allowed(request, me, why)
        if need["status"] not in lifecycles.WAITING_NEED:
            status = CONSOLE[lang]["statuses"].get(need["status"], need["status"])
            note = CONSOLE[lang]["not_open"].format(status=status)
            return None, self._need_page(request, me, need, 409, note=note)
        return need, None

    @route("GET", "/console/needs/<need_id>/edit", answer="text/html", query=("lang",),
           page_errors=(403, 404, 409, 503))  # fmt: skip
    @console_page()
    def console_edit_form(self, request, me, need_id):
        """The form to edit an open need, filled with it."""
        need, away = self._editable(request, me, need_id)
        return away or self._post_form(request, me, typed=as_typed(need), editing=need)

    @route("POST", "/console/needs/<need_id>/edit", body="form", answer="text/html",
           page_errors=(400, 403, 404, 409, 503))  # fmt: skip
    @console_page(form=True)
    def console_edit_need(self, request, me, need_id):
        """Save the edit; refusals beside their fields with what was typed kept."""
        lang, form = language(request), request.form
        need, away = self._editable(request, me, need_id)
        if away:
            return away
        try:
            self._rpc(
                "pledges", "update_need", need["id"], need_body(form), me["account"], within(me)
            )
        except Invalid as exc:
            errors = field_errors(exc.details, lang, FORM_FIELDS)
            return self._post_form(request, me, 400, typed=form, errors=errors, editing=need)
        except Forbidden:
            errors = {"domain": [CONSOLE[lang]["not_yours"].format(groups=groups_of(me, lang))]}
            return self._post_form(request, me, 403, typed=form, errors=errors, editing=need)
        except Conflict:  # it ended while the form was open: the page says how it stands
            return self._editable(request, me, need["id"])[1]
        return self._back(request, f"/console/needs/{need['id']}", note="saved")
