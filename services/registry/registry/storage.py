"""The registry's database: organisations with their outbox."""

import logging
import re

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.errors import Conflict, NotFound
from tilts_contracts.messaging import Store

from . import domain

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
        stale = {"key_version": {"$ne": domain.KEYS_VERSION}}
        for org in self.db.organisations.find(stale, {"name": 1, "erased": 1}):
            try:
                self.db.organisations.update_one({"_id": org["_id"]}, {"$set": domain.keys(org)})
                done += 1
            except DuplicateKeyError:  # two names the new rules read as one: both stay
                log.warning(
                    "organisation %s keeps its old name key: it now reads as a "
                    "duplicate of another",
                    org["_id"],
                )
                self.db.organisations.update_one(
                    {"_id": org["_id"]}, {"$set": {"key_version": domain.KEYS_VERSION}}
                )
        return done

    def get(self, org_id: str) -> dict:
        org = self.db.organisations.find_one({"_id": org_id})
        if org is None:
            raise NotFound(f"no organisation {org_id}", {"id": org_id})
        return org

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

    def registered_keys(self, name_keys: list[str], email_keys: list[str]) -> dict:
        """Ids of organisations holding any of these keys, by ("name"|"email", key): one
        query for a whole import instead of one per row."""
        found = {}
        query = {
            "$or": [
                {"name_key": {"$in": list(name_keys)}},
                {"email_key": {"$in": list(email_keys)}},
            ]
        }
        for org in self.db.organisations.find(query, {"name_key": 1, "email_key": 1}):
            found[("name", org["name_key"])] = org["_id"]
            found[("email", org["email_key"])] = org["_id"]
        return found

    def add_new(self, org: dict, event_type: str) -> dict:
        """Insert an organisation checked already; a racing duplicate is still a Conflict."""
        try:
            return self.insert("organisations", org, [event_type])
        except DuplicateKeyError:
            self._refuse_duplicate(org)
            raise

    def note_repeated_registration(self, attempt: dict) -> dict:
        """Keep a questionnaire that named a registered organisation, with the event that
        tells that organisation; once, however often the request is delivered."""
        return self.insert_once("repeated_registrations", attempt, ["registration_repeated"])

    def add(self, org: dict, event_type: str) -> dict:
        earlier = self.db.organisations.find_one({"_id": org["_id"]})
        if earlier is not None:  # the same request, delivered again
            return earlier
        self._refuse_duplicate(org)
        try:
            return self.insert("organisations", org, [event_type])
        except DuplicateKeyError:  # a racing insert won: report it like the check would
            self._refuse_duplicate(org)
            raise

    def save(self, org: dict, event_type: str) -> dict:
        self._refuse_duplicate(org)
        return self.replace("organisations", org, [event_type])

    def search(self, filters: dict, limit: int, cursor: str | None) -> tuple[list, str | None]:
        query: dict = {}
        if filters.get("status"):
            query["status"] = filters["status"]
        if filters.get("domain"):
            query["domains"] = filters["domain"]
        if filters.get("region"):
            query["regions"] = filters["region"]
        words = domain.words(filters.get("q") or "")
        if filters.get("q") and not words:  # no letters or digits: no name has them all
            return [], None
        if words:  # every word somewhere in the name, whatever spacing or punctuation
            query["$and"] = [{"search_key": {"$regex": re.escape(w)}} for w in words]
        return self.find_page("organisations", query, limit, cursor)

    def count_by_status(self) -> dict:
        return {
            s: self.db.organisations.count_documents({"status": s})
            for s in ("pending", "verified", "suspended")
        }
