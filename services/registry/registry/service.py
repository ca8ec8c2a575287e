"""The registry service: the directory of organisations that can help."""

from nameko.timer import timer

from tilts_contracts import api, messaging
from tilts_contracts.clock import iso, new_id, utcnow
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.messaging import MongoDatabase, retry_stale, rpc

from . import domain
from .storage import OrganisationStore


class RegistryService(messaging.Operable):  # via the module: `nameko run` serves all it sees
    name = "registry"

    store: OrganisationStore = MongoDatabase(OrganisationStore)
    dispatch = messaging.EventDispatcher()  # declares its consumers' queues at start

    @rpc
    def create_organisation(self, data: dict, by: str, org_id: str | None = None) -> dict:
        """Register an organisation; `org_id` (chosen by the caller) makes a redelivered
        call return the first delivery's organisation instead of a 409."""
        fields = api.load(api.OrganisationIn(), data)
        now = utcnow()
        org = domain.register(fields, org_id or new_id("org"), now)
        org["history"][0]["by"] = by
        org = self.store.add(org, "organisation_registered")
        self._publish(org["_id"])
        return api.present(api.Organisation, org)

    @rpc
    def submit_questionnaire(self, data: dict, org_id: str | None = None) -> dict:
        """An organisation describes itself and its offers; it waits, pending, for a
        coordinator, and its offers wait with it (pledges creates them on verification).

        The answer is the same receipt whether or not the email or name is registered
        already (the questionnaire is public: it must not tell who is in the directory);
        in that case the registered organisation is told by email instead."""
        if not isinstance(data, dict):
            raise Invalid("the body must be a JSON object", {"_schema": ["expected an object"]})
        offers = data.get("offers", [])
        if not isinstance(offers, list) or len(offers) > 50:
            raise Invalid("offers must be a list of at most 50", {"offers": ["a list, at most 50"]})
        fields_data = {k: v for k, v in data.items() if k != "offers"}
        problems = {}
        try:
            fields = api.load(api.OrganisationIn(), fields_data)
        except Invalid as exc:
            problems.update(exc.details)
        offer_problems = domain.held_offer_problems(offers)
        if offer_problems:
            problems["offers"] = offer_problems
        if problems:
            raise Invalid(f"invalid fields: {', '.join(sorted(problems))}", problems)
        now = utcnow()
        org = domain.register(fields, org_id or new_id("org"), now)
        org["history"][0]["by"] = "questionnaire"
        org["source"] = "questionnaire"
        org["held_offers"] = [api.iso_dates(api.load(api.OfferEdit(), o)) for o in offers]
        receipt = {"status": "pending", "held_offers": len(org["held_offers"])}
        try:
            org = self.store.add(org, "organisation_registered")
        except Conflict as exc:
            attempt = {
                "_id": org["_id"],
                "organisation_id": exc.details["existing_id"],
                "matched": "name" if "name" in exc.details else "email",
                "at": iso(now),
            }
            self.store.note_repeated_registration(attempt)
            self.store.publish(self.dispatch, "repeated_registrations", attempt["_id"])
            return receipt
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
                fields = api.load(api.OrganisationIn(), row)
                org = domain.register(fields, new_id("org"), utcnow())
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
                org = self.store.add_new(org, "organisation_registered")
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

        def attempt():
            org = domain.erase(self.store.get(org_id), by, utcnow())
            return self.store.replace("organisations", org, ["organisation_updated"])

        org = retry_stale(attempt)
        self._publish(org_id)
        return api.present(api.Organisation, org)

    @rpc
    def get_organisation(self, org_id: str) -> dict:
        return api.present(api.Organisation, self.store.get(org_id))

    @rpc
    def get_organisation_detail(self, org_id: str) -> dict:
        """For staff: the organisation, the offers it sent with the questionnaire while
        they wait for verification, and its audit trail, so no one verifies blind."""
        org = self.store.get(org_id)
        verified_once = any(e.get("action") == "verified" for e in org.get("history", []))
        held = [] if verified_once else org.get("held_offers") or []
        return api.present(
            api.OrganisationDetail,
            {**org, "source": org.get("source", "coordinator"), "held_offers": held},
        )

    @rpc
    def list_organisations(self, filters: dict, limit: int = 50, cursor: str | None = None) -> dict:
        docs, nxt = self.store.search(filters, api.clamp_limit(limit), cursor)
        return api.page(api.Organisation, docs, nxt)

    @rpc
    def update_organisation(self, org_id: str, changes: dict, by: str) -> dict:
        fields = api.load(api.OrganisationIn(), changes, partial=True)
        fields = {k: v for k, v in fields.items() if k in changes}

        def attempt():
            org = self.store.get(org_id)
            updated = domain.update(org, fields, by, utcnow())
            if updated is org:  # nothing changed: no history line, no event
                return org
            return self.store.save(updated, "organisation_updated")

        org = retry_stale(attempt)
        self._publish(org_id)
        return api.present(api.Organisation, org)

    @rpc
    def verify_organisation(self, org_id: str, by: str) -> dict:
        return self._transition(org_id, domain.verify, "organisation_verified", by)

    @rpc
    def suspend_organisation(self, org_id: str, by: str, reason: str | dict = "") -> dict:
        """Suspend; `reason` is the request body (`{"reason": ...}`) or the reason alone."""
        body = reason if isinstance(reason, dict) else {"reason": reason}
        why = api.load(api.SuspendIn(), body)["reason"]

        def suspend(org, by, now):
            return domain.suspend(org, by, now, reason=why)

        return self._transition(org_id, suspend, "organisation_suspended", by)

    @rpc
    def public_profiles(self, org_ids: list[str]) -> dict:
        """Name and website of each organisation, for public pages (no contact details);
        every id asked for, however many (the wall and the commitment document list all)."""
        return {
            org["_id"]: {
                "name": org["name"],
                "website": org.get("website"),
                "status": org["status"],
                "anonymous": bool(org.get("erased_at")),
            }
            for org in self.store.many(org_ids)
        }

    @rpc
    def counts(self) -> dict:
        return {"organisations": self.store.count_by_status()}

    @timer(interval=1)
    def relay_events(self):
        """Publish events whose writer stopped before it could."""
        self.store.flush_outbox(self.dispatch)

    # -- helpers -------------------------------------------------------------------
    def _transition(self, org_id, decide, event_type, by) -> dict:
        def attempt():
            org = decide(self.store.get(org_id), by, utcnow())
            return self.store.save(org, event_type)

        org = retry_stale(attempt)
        self._publish(org_id)
        return api.present(api.Organisation, org)

    def _publish(self, org_id: str) -> None:
        self.store.publish(self.dispatch, "organisations", org_id)
