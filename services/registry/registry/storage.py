"""The registry's database: organisations with their outbox."""

import re

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.errors import Conflict, NotFound
from tilts_contracts.messaging import Store

from .domain import fold


class OrganisationStore(Store):
    outbox_collections = ("organisations",)

    def ensure_indexes(self):
        super().ensure_indexes()
        orgs = self.db.organisations
        orgs.create_index([("name_key", ASCENDING)], unique=True)
        orgs.create_index([("email_key", ASCENDING)], unique=True)
        orgs.create_index([("status", ASCENDING)])

    def get(self, org_id: str) -> dict:
        org = self.db.organisations.find_one({"_id": org_id})
        if org is None:
            raise NotFound(f"no organisation {org_id}", {"id": org_id})
        return org

    def many(self, org_ids: list[str]) -> list[dict]:
        return list(self.db.organisations.find({"_id": {"$in": list(org_ids)}}))

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
        if filters.get("q"):
            query["search_key"] = {"$regex": re.escape(fold(filters["q"]))}
        return self.find_page("organisations", query, limit, cursor)

    def count_by_status(self) -> dict:
        return {
            s: self.db.organisations.count_documents({"status": s})
            for s in ("pending", "verified", "suspended")
        }
