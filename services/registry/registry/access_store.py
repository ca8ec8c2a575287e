"""The registry's records of people: staff, sign-in links, sessions, personal tokens
and the counters that limit sign-in requests (shared by every gateway replica)."""

import re
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict

from . import accounts
from .storage import OrganisationStore

# documents carry this BSON date for their TTL index; the ISO strings are what is read
GONE_ON = "gone_on"
# a used or expired link, an ended session, a counter: kept this long after, then gone
KEEP_AFTER = timedelta(days=1)


class RegistryStore(OrganisationStore):
    """Organisations, and who may act for them or for the coordinators."""

    outbox_collections = ("organisations", "repeated_registrations", "staff", "tokens", "signins")

    def ensure_indexes(self):
        super().ensure_indexes()
        self.db.staff.create_index([("email", ASCENDING)], unique=True)
        for name in ("signins", "sessions", "limits"):
            self.db[name].create_index([(GONE_ON, ASCENDING)], expireAfterSeconds=0)
        self.db.sessions.create_index([("account", ASCENDING)])
        self.db.sessions.create_index([("organisation_id", ASCENDING)])
        self.db.tokens.create_index([("account", ASCENDING)])
        self.db.tokens.create_index([("organisation_id", ASCENDING)])
        self.db.signins.create_index([("organisation_id", ASCENDING)])

    # -- limits ----------------------------------------------------------------------
    def count(self, key: str, now: datetime) -> int:
        """Add one to `key`'s counter of this hour; how many it holds now."""
        bucket = f"{key}:{now:%Y%m%d%H}"
        self.db.limits.update_one(
            {"_id": bucket},
            {"$inc": {"count": 1}, "$setOnInsert": {GONE_ON: now + timedelta(hours=2)}},
            upsert=True,
        )
        return (self.db.limits.find_one({"_id": bucket}) or {}).get("count", 1)

    # -- who an address or an account is ------------------------------------------
    def staff_by_email(self, key: str) -> dict | None:
        return self.db.staff.find_one({"email": key})

    def organisation_of_address(self, key: str) -> dict | None:
        """The organisation whose email or contacts hold `key` (no index on the list:
        NX-27017 stops finding array elements once one is made)."""
        return self.db.organisations.find_one(
            {"$or": [{"email_key": key}, {"contact_keys": key}], "erased": {"$ne": True}}
        )

    def identity(self, account: str) -> dict | None:
        """What `account` may do now, or None once it was removed, suspended or erased."""
        parsed = accounts.parse_account(account)
        if parsed is None:
            return None
        kind, ident, address_hash = parsed
        if kind == "staff":
            staff = self.db.staff.find_one({"_id": ident})
            return accounts.staff_identity(staff) if staff else None
        org = self.db.organisations.find_one({"_id": ident})
        address = org and accounts.contact_by_hash(org, address_hash)
        return accounts.contact_identity(org, address) if address else None

    def staff_list(self) -> list[dict]:
        return list(self.db.staff.find({"removed_at": None}).sort("email", ASCENDING))

    # -- sign-in links ---------------------------------------------------------------
    def use_link(self, link_hash: str, now: datetime) -> tuple[str, dict | None]:
        """("ok", link) the first time a live link is used; else ("used" | "expired" |
        "unknown", None). The filtered update is the single-use guard."""
        stamp = iso(now)
        won = self.db.signins.update_one(
            {"_id": link_hash, "used_at": None, "expires_at": {"$gt": stamp}},
            {"$set": {"used_at": stamp}},
        )
        link = self.db.signins.find_one({"_id": link_hash})
        if won.modified_count == 1:
            return "ok", link
        if link is None:
            return "unknown", None
        return ("used" if link.get("used_at") else "expired"), None

    # -- sessions --------------------------------------------------------------------
    def start_session(self, session_hash: str, identity: dict, now: datetime) -> None:
        expires = now + accounts.SESSION_LIFE
        self.db.sessions.insert_one(
            {
                "_id": session_hash,
                "account": identity["account"],
                "organisation_id": identity.get("organisation_id"),
                "created_at": iso(now),
                "last_seen": iso(now),
                "expires_at": iso(expires),
                GONE_ON: expires + KEEP_AFTER,
            }
        )

    def live_session(self, session_hash: str, now: datetime) -> dict | None:
        """The session, its expiry moved on (at most once an hour), or None if it ended."""
        found = self.db.sessions.find_one({"_id": session_hash})
        if found is None or found["expires_at"] <= iso(now):
            return None
        if found["last_seen"] <= iso(now - accounts.SLIDE_EVERY):
            expires = now + accounts.SESSION_LIFE
            moved = {**found, "last_seen": iso(now), "expires_at": iso(expires)}
            # replaced whole: NX-27017 stores a date given to $set as a string
            self.db.sessions.replace_one(
                {"_id": session_hash, "last_seen": found["last_seen"]},
                {**moved, GONE_ON: expires + KEEP_AFTER},
            )
        return found

    def end_session(self, session_hash: str) -> None:
        self.db.sessions.delete_one({"_id": session_hash})

    def end_sessions(self, query: dict) -> int:
        return self.db.sessions.delete_many(query).deleted_count

    # -- staff and tokens ------------------------------------------------------------
    def insert_staff(self, staff: dict, audit: dict) -> dict:
        try:
            return self.add("staff", staff, audit=audit)
        except DuplicateKeyError as exc:  # the same address, added at the same moment
            raise Conflict(
                f"{staff['email']} is staff already", {"email": ["already staff"]}
            ) from exc

    def tokens_of(self, account: str) -> list[dict]:
        return list(self.db.tokens.find({"account": account}).sort("_id", ASCENDING))

    def forget_organisation_access(self, org_id: str, contacts: list[str]) -> None:
        """An erased organisation's sessions, tokens and links go; the audit log names
        it by id where it named one of its addresses."""
        for name in ("sessions", "tokens", "signins"):
            self.db[name].delete_many({"organisation_id": org_id})
        for contact in contacts:
            self.db.audit.update_many(
                {"by": {"$regex": re.escape(contact), "$options": "i"}},
                {"$set": {"by": f"organisation:{org_id}"}},
            )
