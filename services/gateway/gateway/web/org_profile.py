"""/org/profile and /org/contacts: what the organisation says of itself, and who signs
in for it. A verified organisation's new name, email or website wait for a coordinator
(the registry keeps them in `pending_changes`)."""

from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.schemas.organisations import MAX_CONTACTS, PROFILE_FIELDS

from . import org_forms
from .org import OrgPages, route
from .org_words import ORG
from .pages import language


class OrgProfileRoutes(OrgPages):
    @route("GET", "/org/profile", answer="text/html", query=("lang", "done"))
    def org_profile(self, request):
        """The profile form, filled in (with any change waiting for review)."""
        return self._org_do(request, self._org_profile)

    def _org_profile(self, request, me, status: int = 200, typed=None, errors=None, org=None):
        org = org or self._org(me)
        if typed is None:
            shown = {**org, **(org.get("pending_changes") or {})}
            chosen = {k: shown.get(k) or [] for k in ("domains", "regions", "languages")}
            typed = org_forms.profile_typed(org)
        else:
            chosen = {k: typed.getlist(k) for k in ("domains", "regions", "languages")}
        return self._org_page(
            request,
            me,
            "profile.html",
            status,
            org=org,
            typed=typed,
            chosen=chosen,
            errors=errors or {},
        )

    @route(
        "POST",
        "/org/profile",
        body="form",
        answer="text/html",
        page_errors=(400, 403, 409),
        query=("lang",),
    )
    def org_profile_save(self, request):
        """Save the profile; a mistake comes back beside its field, all typed kept."""
        return self._org_do(request, self._org_save_profile, post=True)

    def _org_save_profile(self, request, me):
        changes = org_forms.profile_changes(request.form)
        try:
            self._rpc(
                "registry",
                "update_organisation",
                me["organisation_id"],
                changes,
                me["account"],
                True,  # its own edit: a new name, email or website waits for review
            )
        except (Invalid, Conflict) as exc:  # a duplicate name or email is a 409
            errors = org_forms.field_errors(exc, ORG[language(request)], PROFILE_FIELDS)
            status = 409 if isinstance(exc, Conflict) else 400
            return self._org_profile(request, me, status, typed=request.form, errors=errors)
        return self._org_back(request, "/org/profile")

    # -- contacts ----------------------------------------------------------------------
    @route("GET", "/org/contacts", answer="text/html", query=("lang", "done"))
    def org_contacts(self, request):
        """The addresses that sign in for the organisation; add one, remove one."""
        return self._org_do(request, self._org_contacts)

    def _org_contacts(self, request, me, status: int = 200, typed=None, errors=None):
        return self._org_page(
            request,
            me,
            "contacts.html",
            status,
            typed=typed or {},
            errors=errors or {},
            most=MAX_CONTACTS,
        )

    @route(
        "POST",
        "/org/contacts",
        body="form",
        answer="text/html",
        page_errors=(400, 403, 409),
        query=("lang",),
    )
    def org_contacts_add(self, request):
        """Add an address (at most MAX_CONTACTS); 303 back to the list."""
        return self._org_do(request, self._org_add_contact, post=True)

    def _org_add_contact(self, request, me):
        words = ORG[language(request)]
        address = request.form.get("contact", "").strip()[:254]
        try:
            self._org_edit_contacts(me, {"add": address})
        except Invalid as exc:  # full (perhaps by another's add meanwhile), or no address
            full = (exc.details or {}).get("contacts") == ["full"]
            said = words["contacts_full"].format(n=MAX_CONTACTS) if full else words["contact_bad"]
            return self._org_contacts(request, me, 400, request.form, {"contact": [said]})
        except Conflict:  # an address signs in for one organisation only
            errors = {"contact": [words["contact_taken"]]}
            return self._org_contacts(request, me, 409, request.form, errors)
        return self._org_back(request, "/org/contacts")

    @route(
        "POST",
        "/org/contacts/remove",
        body="form",
        answer="text/html",
        page_errors=(400, 403),
        query=("lang",),
    )
    def org_contacts_remove(self, request):
        """Remove an address; 303 back to the list (one that is gone already: nothing)."""
        return self._org_do(request, self._org_remove_contact, post=True)

    def _org_remove_contact(self, request, me):
        gone = request.form.get("contact", "").strip()
        if gone:  # one that is gone already: nothing changes
            self._org_edit_contacts(me, {"remove": gone})
        return self._org_back(request, "/org/contacts")

    def _org_edit_contacts(self, me: dict, edit: dict) -> None:
        """One address added or removed against the stored list (registry decides)."""
        self._rpc("registry", "edit_contacts", me["organisation_id"], edit, me["account"])
