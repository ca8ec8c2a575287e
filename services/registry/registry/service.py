"""The registry service: the directory of organisations that can help."""

from tilts_contracts.clock import iso, new_id, utcnow
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.schemas import common
from tilts_contracts.schemas import organisations as schemas
from tilts_contracts.schemas.offers import OfferEdit
from tilts_runtime import operable
from tilts_runtime.audit import entry
from tilts_runtime.dependencies import EventDispatcher, MongoDatabase
from tilts_runtime.operable import rpc

from . import access, rules
from .access_store import RegistryStore


# mixins by their module: `nameko run` serves every class with entrypoints it sees here
class RegistryService(access.AccessRpcs, operable.Operable):
    name = "registry"

    store: RegistryStore = MongoDatabase(RegistryStore)
    dispatch = EventDispatcher()  # declares its consumers' queues at start

    @rpc
    def create_organisation(self, data: dict, by: str, org_id: str | None = None) -> dict:
        """Register an organisation; `org_id` (chosen by the caller) makes a redelivered
        call return the first delivery's organisation instead of a 409."""
        fields = common.load(schemas.OrganisationIn(), data)
        now = utcnow()
        org = rules.register(fields, org_id or new_id("org"), now)
        org["history"][0]["by"] = by
        org = self.store.add_organisation(
            org, "organisation_registered", entry(by, "registered", org["_id"])
        )
        self._publish(org["_id"])
        return common.present(schemas.Organisation, org)

    @rpc
    def submit_questionnaire(
        self, data: dict, org_id: str | None = None, tell_repeated: bool = False
    ) -> dict:
        """An organisation describes itself and its offers; it waits, pending, for a
        coordinator, and its offers wait with it (pledges creates them on verification).

        The answer is the same receipt whether or not the email or name is registered
        already (the questionnaire is public: it must not tell who is in the directory);
        in that case the registered organisation is told by email instead. The /register
        page asks `tell_repeated`: it says so, and offers a sign-in link to the registered
        address (`request_signin_for_repeated` with `org_id`), never the address itself."""
        fields, offers = _questionnaire(data)
        now = utcnow()
        org = rules.register(fields, org_id or new_id("org"), now)
        org["history"][0]["by"] = "questionnaire"
        org["source"] = "questionnaire"
        org["held_offers"] = offers
        receipt = {"status": "pending", "held_offers": len(org["held_offers"])}
        try:
            org = self.store.add_organisation(
                org, "organisation_registered", entry("questionnaire", "registered", org["_id"])
            )
        except Conflict as exc:
            attempt = {
                "_id": org["_id"],
                "organisation_id": exc.details["existing_id"],
                "matched": "name" if "name" in exc.details else "email",
                "at": iso(now),
            }
            self.store.note_repeated_registration(attempt)
            self.store.publish(self.dispatch, "repeated_registrations", attempt["_id"])
            return {**receipt, "repeated": True} if tell_repeated else receipt
        self._publish(org["_id"])
        return receipt

    @rpc
    def import_rows(self, rows: list, by: str) -> list:
        """Register many organisations; one report line a row: created, duplicate (of
        which organisation, by name or by email) or invalid. Rows already registered are
        found with one query for the whole batch."""
        report: list[dict] = []
        candidates = []
        for number, row in enumerate(rows, start=1):
            try:
                fields = common.load(schemas.OrganisationIn(), row)
                org = rules.register(fields, new_id("org"), utcnow())
            except Invalid as exc:
                report.append({"row": number, "result": "invalid", "errors": exc.details})
                continue
            org["history"][0]["by"] = by
            report.append({"row": number})
            candidates.append((report[-1], org))
        known = self.store.registered_keys(
            [o["name_key"] for _, o in candidates], [o["email_key"] for _, o in candidates]
        )
        for line, org in candidates:
            same = next((k for k in ("name", "email") if (k, org[f"{k}_key"]) in known), None)
            if same is not None:
                existing = known[(same, org[f"{same}_key"])]
                line.update(result="duplicate", existing_id=existing, matched=same)
                continue
            try:
                org = self.store.add_new(
                    org, "organisation_registered", entry(by, "registered", org["_id"])
                )
            except Conflict as exc:  # registered meanwhile by someone else
                same = "name" if "name" in exc.details else "email"
                line.update(
                    result="duplicate", existing_id=exc.details["existing_id"], matched=same
                )
                continue
            known[("name", org["name_key"])] = known[("email", org["email_key"])] = org["_id"]
            self._publish(org["_id"])
            line.update(result="created", id=org["_id"])
        return report

    @rpc
    def export_organisation(self, org_id: str) -> dict:
        """Everything the registry holds about one organisation (data-subject access)."""
        org = self.store.get(org_id)
        held = {k: v for k, v in org.items() if not k.startswith("_") and not k.endswith("_key")}
        return {"organisation": {"id": org["_id"], **held}}

    @rpc
    def erase_organisation(self, org_id: str, by: str) -> dict:
        """Anonymise an organisation; others forget its contact data on organisation_updated."""

        before = self.store.get(org_id)
        org = self._change(
            org_id,
            lambda o: rules.erase(o, by, utcnow()),
            "organisation_updated",
            rules.actor(by, before),
            "erased",
        )
        self.store.forget_organisation_access(org_id, rules.own_contacts(before))
        return common.present(schemas.Organisation, org)

    @rpc
    def get_organisation(self, org_id: str) -> dict:
        return common.present(schemas.Organisation, self.store.get(org_id))

    @rpc
    def get_organisation_detail(self, org_id: str) -> dict:
        """For staff: the organisation, the offers it sent with the questionnaire while
        they wait for verification, and its audit trail, so no one verifies blind."""
        org = self.store.get(org_id)
        verified_once = any(e.get("action") == "verified" for e in org.get("history", []))
        held = [] if verified_once else org.get("held_offers") or []
        return common.present(
            schemas.OrganisationDetail,
            {**org, "source": org.get("source", "coordinator"), "held_offers": held},
        )

    @rpc
    def list_organisations(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        docs, nxt = self.store.search(filters, common.clamp_limit(limit), cursor)
        return common.page(schemas.Organisation, docs, nxt)

    @rpc
    def update_organisation(
        self, org_id: str, changes: dict, by: str, review: bool = False
    ) -> dict:
        """Edit; `review` (the organisation's own edit): a verified organisation's new
        name, email or website wait in `pending_changes` until a coordinator verifies."""
        fields = common.load(schemas.OrganisationIn(), changes, partial=True)
        fields = {k: v for k, v in fields.items() if k in changes}
        self.store.refuse_taken(org_id, fields)

        # an edit that changes nothing returns the organisation itself: no history, no event
        org = self._change(
            org_id,
            lambda o: rules.update(o, fields, by, utcnow(), review=bool(review)),
            "organisation_updated",
            by,
            "updated",
            ", ".join(sorted(fields)),
        )
        return common.present(schemas.Organisation, org)

    @rpc
    def edit_contacts(self, org_id: str, edit: dict, by: str) -> dict:
        """Add (`{"add": address}`) or remove (`{"remove": address}`) one address that
        signs in for the organisation, against the stored list, so two people editing at
        once both count; Invalid `contacts: full` past MAX_CONTACTS."""
        add, remove = edit.get("add"), str(edit.get("remove") or "")
        if add is not None:  # an address, checked as the contacts field checks one
            checked = common.load(schemas.OrganisationIn(), {"contacts": [add]}, partial=True)
            self.store.refuse_taken(org_id, checked)
            add = checked["contacts"][0]

        def decide(org):
            contacts = rules.edited_contacts(org.get("contacts") or [], add or "", remove)
            return rules.update(org, {"contacts": contacts}, by, utcnow(), review=True)

        org = self._change(org_id, decide, "organisation_updated", by, "updated", "contacts")
        return common.present(schemas.Organisation, org)

    @rpc
    def verify_organisation(self, org_id: str, by: str) -> dict:
        return self._transition(org_id, rules.verify, "organisation_verified", by)

    @rpc
    def suspend_organisation(self, org_id: str, by: str, reason: str | dict = "") -> dict:
        """Suspend; `reason` is the request body (`{"reason": ...}`) or the reason alone."""
        body = reason if isinstance(reason, dict) else {"reason": reason}
        why = common.load(schemas.SuspendIn(), body)["reason"]

        def suspend(org, by, now):
            return rules.suspend(org, by, now, reason=why)

        return self._transition(org_id, suspend, "organisation_suspended", by)

    @rpc
    def reject_organisation_changes(self, org_id: str, by: str, reason: str | dict = "") -> dict:
        """Drop a verified organisation's own change of name, email or website held for
        review; it keeps its verified values (so nothing public changes: no
        organisation_updated) and is emailed that the change was not accepted."""
        body = reason if isinstance(reason, dict) else {"reason": reason}
        why = common.load(schemas.RejectChangesIn(), body)["reason"]

        def rejected(org) -> list:  # the history entry the decision wrote names the fields
            told = {**org, "id": org_id, "fields": org["history"][-1]["fields"], "reason": why}
            return [("organisation_changes_rejected", told)]

        def audit(org) -> dict:
            fields = ", ".join(org["history"][-1]["fields"])
            return entry(by, "changes_rejected", org_id, fields)

        org = self.store.change(
            "organisations",
            org_id,
            lambda o: rules.reject_changes(o, by, utcnow(), reason=why),
            rejected,
            self.dispatch,
            audit=audit,
        )
        return common.present(schemas.Organisation, org)

    @rpc
    def public_profiles(self, org_ids: list[str]) -> dict:
        """Name and website of each organisation, for public pages (no contact details;
        a private person's neither); every id asked for, however many (the wall and the
        commitment document list all)."""
        return {org["_id"]: rules.public_profile(org) for org in self.store.many(org_ids)}

    @rpc
    def counts(self) -> dict:
        return {"organisations": self.store.count_by_status()}

    # -- helpers -------------------------------------------------------------------
    def _transition(self, org_id, decide, event_type, by) -> dict:
        action = event_type.removeprefix("organisation_")
        org = self._change(org_id, lambda o: decide(o, by, utcnow()), event_type, by, action)
        return common.present(schemas.Organisation, org)

    def _change(
        self, org_id: str, decide, event_type: str, by: str, action: str, summary: str = ""
    ) -> dict:
        """Load, decide, store with the event and who did it (refusing a duplicate name
        or email), publish."""
        return self.store.change(
            "organisations",
            org_id,
            decide,
            [event_type],
            self.dispatch,
            audit=entry(by, action, org_id, summary),
        )

    def _publish(self, org_id: str) -> None:
        self.store.publish(self.dispatch, "organisations", org_id)


def _questionnaire(data: object) -> tuple[dict, list[dict]]:
    """The organisation's fields and its offers, or one Invalid naming every bad field
    of both (an offer's by its position)."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_schema": ["expected an object"]})
    offers = data.get("offers", [])
    if not isinstance(offers, list) or len(offers) > 50:
        raise Invalid("offers must be a list of at most 50", {"offers": ["a list, at most 50"]})
    problems, fields = {}, {}
    try:
        fields = common.load(
            schemas.OrganisationIn(), {k: v for k, v in data.items() if k != "offers"}
        )
    except Invalid as exc:
        problems.update(exc.details)
    offer_problems = rules.held_offer_problems(offers)
    if offer_problems:
        problems["offers"] = offer_problems
    if problems:
        raise Invalid(f"invalid fields: {', '.join(sorted(problems))}", problems)
    return fields, [common.iso_dates(common.load(OfferEdit(), o)) for o in offers]
