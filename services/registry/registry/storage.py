"""The registry's database: organisations with their outbox."""

import logging
import re

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts import lifecycles
from tilts_contracts.errors import Conflict
from tilts_runtime.store import Store

from . import rules

log = logging.getLogger(__name__)
MANY_PART = 500  # ids per query of many()


class OrganisationStore(Store):
    # repeated_registrations: questionnaires that named a registered organisation
    outbox_collections = ("organisations", "repeated_registrations")

    def ensure_indexes(self):
        super().ensure_indexes()
        orgs = self.db.organisations
        orgs.create_index([("name_key", ASCENDING)], unique=True)
        orgs.create_index([("email_key", ASCENDING)], unique=True)
        orgs.create_index([("status", ASCENDING)])
        self.rekey()

    def rekey(self) -> int:
        """Recompute the duplicate and search keys stored by an older version of the rules."""
        done = 0
        stale = {"key_version": {"$ne": rules.KEYS_VERSION}}
        for org in self.db.organisations.find(stale, {"name": 1, "erased": 1}):
            try:
                self.db.organisations.update_one({"_id": org["_id"]}, {"$set": rules.keys(org)})
                done += 1
            except DuplicateKeyError:  # two names the new rules read as one: both stay
                log.warning(
                    "organisation %s keeps its old name key: it now reads as a "
                    "duplicate of another",
                    org["_id"],
                )
                self.db.organisations.update_one(
                    {"_id": org["_id"]}, {"$set": {"key_version": rules.KEYS_VERSION}}
                )
        return done

    def get(self, org_id: str) -> dict:
        return self.get_doc("organisations", org_id, "organisation")

    def many(self, org_ids: list[str]) -> list[dict]:
        """Every one of the organisations named, however many: asked for in parts, so no
        query carries more ids than a store takes in one `$in`."""
        org_ids = list(dict.fromkeys(org_ids))
        return [
            org
            for at in range(0, len(org_ids), MANY_PART)
            for org in self.db.organisations.find({"_id": {"$in": org_ids[at : at + MANY_PART]}})
        ]

    def find_duplicate(self, org: dict) -> dict | None:
        return self.db.organisations.find_one(
            {
                "$or": [{"name_key": org["name_key"]}, {"email_key": org["email_key"]}],
                "_id": {"$ne": org["_id"]},
            }
        )

    def _refuse_duplicate(self, org: dict):
        existing = self.find_duplicate(org)
        if existing is not None:
            same = "name" if existing["name_key"] == org["name_key"] else "email"
            raise Conflict(
                f"an organisation with this {same} exists already",
                {"existing_id": existing["_id"], same: ["already registered"]},
            )

    def refuse_taken(self, org_id: str, changes: dict) -> None:
        """Conflict if another organisation holds the name or email `changes` asks for:
        a change held for review is checked when asked too, not only when verified."""
        unused = f"unused:{org_id}"  # a key no organisation holds
        name, email = changes.get("name"), changes.get("email")
        probe = {
            "_id": org_id,
            "name_key": (rules.name_key(name) if isinstance(name, str) else "") or unused,
            "email_key": (email.strip().casefold() if isinstance(email, str) else "") or unused,
        }
        self._refuse_duplicate(probe)
        self.refuse_shared(org_id, [probe["email_key"]], "email")
        if isinstance(changes.get("contacts"), list):
            self.refuse_shared(org_id, rules.contact_keys(changes["contacts"]), "contacts")

    def refuse_shared(self, org_id: str, keys: list[str], field: str) -> None:
        """An address signs in for one organisation only: one another holds (as its
        email or a contact) would land that person in either. Checked where an address
        is asked for, not on every write: two holding one already stay changeable."""
        holder = self.db.organisations.find_one(
            {
                "$or": [{"email_key": {"$in": keys}}, {"contact_keys": {"$in": keys}}],
                "_id": {"$ne": org_id},
                "erased": {"$ne": True},
            }
        )
        if keys and holder is not None:
            raise Conflict(
                "an address signs in for another organisation already",
                {"existing_id": holder["_id"], field: ["used by another organisation"]},
            )

    def registered_keys(self, name_keys: list[str], email_keys: list[str]) -> dict:
        """Ids of organisations holding any of these keys, by ("name"|"email", key): one
        query for a whole import instead of one per row."""
        found = {}
        query = {
            "$or": [
                {"name_key": {"$in": list(name_keys)}},
                {"email_key": {"$in": list(email_keys)}},
                {"contact_keys": {"$in": list(email_keys)}},  # signs in for that one
            ]
        }
        shown = {"name_key": 1, "email_key": 1, "contact_keys": 1}
        for org in self.db.organisations.find(query, shown):
            found[("name", org["name_key"])] = org["_id"]
            for key in [org["email_key"], *(org.get("contact_keys") or [])]:
                found[("email", key)] = org["_id"]
        return found

    def add_new(self, org: dict, event_type: str, audit: dict | None = None) -> dict:
        """Insert an organisation checked already; a racing duplicate is still a Conflict."""
        try:
            return self.insert("organisations", org, [event_type], [audit] if audit else [])
        except DuplicateKeyError:
            self._refuse_duplicate(org)
            raise

    def note_repeated_registration(self, attempt: dict) -> dict:
        """Keep a questionnaire that named a registered organisation, with the event that
        tells that organisation; once, however often the request is delivered."""
        return self.insert_once("repeated_registrations", attempt, ["registration_repeated"])

    def repeated_registration(self, attempt_id: object) -> dict | None:
        if not isinstance(attempt_id, str) or len(attempt_id) > 100:
            return None
        return self.db.repeated_registrations.find_one({"_id": attempt_id})

    def add_organisation(self, org: dict, event_type: str, audit: dict | None = None) -> dict:
        """Insert a new organisation, or return the one a redelivery of the request stored;
        Conflict (with the existing id) for a name or email another one holds."""
        earlier = self.db.organisations.find_one({"_id": org["_id"]})
        if earlier is not None:  # the same request, delivered again
            return earlier
        self._refuse_duplicate(org)
        self.refuse_shared(org["_id"], [org["email_key"]], "email")
        try:
            return self.insert("organisations", org, [event_type], [audit] if audit else [])
        except DuplicateKeyError:  # a racing insert won: the same request's (a second
            # click), or another's, reported like the check would
            earlier = self.db.organisations.find_one({"_id": org["_id"]})
            if earlier is not None:
                return earlier
            self._refuse_duplicate(org)
            raise

    def replace(self, collection: str, doc: dict, event_types=(), audit=()) -> dict:
        """Every write of an organisation refuses a name or email another one holds."""
        if collection == "organisations":
            self._refuse_duplicate(doc)
        return super().replace(collection, doc, event_types, audit)

    def search(self, filters: dict, limit: int, cursor: str | None) -> tuple[list, str | None]:
        query: dict = {}
        if filters.get("status"):
            query["status"] = filters["status"]
        if filters.get("domain"):
            query["domains"] = filters["domain"]
        if filters.get("region"):
            query["regions"] = filters["region"]
        if filters.get("pending_changes") in ("true", "false"):
            held = {
                "$or": [{f"pending_changes.{f}": {"$exists": True}} for f in rules.REVIEWED_FIELDS]
            }
            query.update(held if filters["pending_changes"] == "true" else {"$nor": held["$or"]})
        words = rules.words(filters.get("q") or "")
        if filters.get("q") and not words:  # no letters or digits: no name has them all
            return [], None
        if words:  # every word somewhere in the name, whatever spacing or punctuation
            query["$and"] = [{"search_key": {"$regex": re.escape(w)}} for w in words]
        return self.find_page("organisations", query, limit, cursor)

    def count_by_status(self) -> dict:
        return self.count_by("organisations", "status", lifecycles.ORGANISATION_STATUSES)
