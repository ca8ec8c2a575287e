"""Who may sign in, and as whom: staff accounts and organisation contacts. Pure: no
I/O, no clock of its own.

An account id is what `by` says everywhere history is kept: `staff:<id>` for a staff
member, `org:<organisation id>:<hash of the address>` for an organisation's contact
(its `email` or one of its `contacts`), so removing an address ends its access.
"""

import hashlib
import re
from datetime import datetime, timedelta

from tilts_contracts import taxonomy
from tilts_contracts.clock import iso
from tilts_contracts.errors import Conflict, Invalid
from tilts_contracts.tokens import MAX_TOKEN_DAYS, STAFF_ROLES

# an address as a person types it: one @, a dot after it, nothing odd (what the sign-in
# form takes; anything else gets the same polite page and is never stored)
ADDRESS = re.compile(r"[^@\s<>\"(),;:]{1,64}@[^@\s<>\"(),;:]{1,189}\.[^@\s<>\"(),;:.]{2,63}")
MAX_CONTACTS = 5
LINK_LIFE = timedelta(minutes=30)
SESSION_LIFE = timedelta(days=14)
# a session's expiry moves on at most once an hour: reads do not each become writes
SLIDE_EVERY = timedelta(hours=1)
# at most so many sign-in links per address, and requests per client, an hour
PER_ADDRESS, PER_CLIENT = 5, 20
# questionnaires sent from the /register page per client an hour
PER_CLIENT_REGISTRATIONS = 20
# how long the page that said "already registered" may still ask for a sign-in link
REPEATED_ASK_WITHIN = timedelta(hours=1)
# organisations in these states cannot act, whatever their contacts hold
SHUT = ("suspended",)


def address_key(text: object) -> str | None:
    """The address as compared (trimmed, lower-cased), or None when it is no address."""
    if not isinstance(text, str) or len(text) > 254:
        return None
    key = text.strip().casefold()
    return key if ADDRESS.fullmatch(key) else None


def digest(text: str) -> str:
    """What the database keeps of a secret or an address: its SHA-256, in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def staff_account(staff_id: str) -> str:
    return f"staff:{staff_id}"


def contact_account(org_id: str, address: str) -> str:
    return f"org:{org_id}:{digest(address_key(address) or address)[:12]}"


def contact_keys(org: dict) -> list[str]:
    """Every address that signs in for `org`: its email, then its contacts."""
    keys = [address_key(org.get("email")), *map(address_key, org.get("contacts") or [])]
    return list(dict.fromkeys(k for k in keys if k))


# -- identities: what a session or token stands for -------------------------------------
def staff_identity(staff: dict) -> dict | None:
    if staff.get("removed_at"):
        return None
    return {
        "account": staff_account(staff["_id"]),
        "kind": "staff",
        "role": staff["role"],
        "domains": list(staff.get("domains") or []),
        "email": staff["email"],
    }


def contact_identity(org: dict, address: str) -> dict | None:
    """The organisation contact `address` signs in as, or None if it cannot act."""
    key = address_key(address)
    if org.get("erased") or org.get("status") in SHUT or key not in contact_keys(org):
        return None
    return {
        "account": contact_account(org["_id"], key),
        "kind": "organisation",
        "role": "organisation",
        "organisation_id": org["_id"],
        "email": key,
    }


def parse_account(account: object) -> tuple[str, str, str | None] | None:
    """("staff", id, None) or ("org", organisation id, address hash), or None."""
    parts = account.split(":") if isinstance(account, str) else []
    if len(parts) == 2 and parts[0] == "staff" and parts[1]:
        return "staff", parts[1], None
    if len(parts) == 3 and parts[0] == "org" and parts[1] and parts[2]:
        return "org", parts[1], parts[2]
    return None


def contact_by_hash(org: dict, address_hash: str) -> str | None:
    """Which of the organisation's addresses an account id names, if it still has it."""
    return next((k for k in contact_keys(org) if digest(k)[:12] == address_hash), None)


# -- staff ------------------------------------------------------------------------------
def new_staff(data: dict, staff_id: str, by: str, now: datetime) -> dict:
    """A staff account from `{email, role, domains}`; Invalid naming each bad field."""
    problems = {}
    key = address_key(data.get("email"))
    if key is None:
        problems["email"] = ["not an email address"]
    role = data.get("role")
    if role not in STAFF_ROLES:
        problems["role"] = [f"one of {', '.join(STAFF_ROLES)}"]
    domains = data.get("domains") or []
    if not isinstance(domains, list) or any(d not in taxonomy.DOMAINS for d in domains):
        problems["domains"] = [f"working groups: {', '.join(sorted(taxonomy.DOMAINS))}"]
    elif domains and role != "coordinator":
        problems["domains"] = ["only a coordinator is scoped to working groups"]
    if problems:
        raise Invalid(f"invalid fields: {', '.join(sorted(problems))}", problems)
    return {
        "_id": staff_id,
        "email": key,
        "role": role,
        "domains": list(dict.fromkeys(domains)),
        "added_by": by,
        "added_at": iso(now),
        "removed_at": None,
    }


def revive_staff(staff: dict, fresh: dict) -> dict:
    """Adding an address that was removed gives the account back, with the new role."""
    if not staff.get("removed_at"):
        raise Conflict(
            f"{staff['email']} is staff already", {"email": ["already staff"], "id": staff["_id"]}
        )
    keep = {k: fresh[k] for k in ("role", "domains", "added_by", "added_at")}
    return {**staff, **keep, "removed_at": None}


def remove_staff(staff: dict, by: str, now: datetime) -> dict:
    if staff.get("removed_at"):
        return staff  # removed already: nothing to do twice
    return {**staff, "removed_at": iso(now), "removed_by": by}


def present_staff(staff: dict) -> dict:
    keys = ("email", "role", "domains", "added_by", "added_at", "removed_at")
    return {
        "id": staff["_id"],
        "account": staff_account(staff["_id"]),
        **{k: staff.get(k) for k in keys},
    }


# -- personal tokens --------------------------------------------------------------------
def new_token(identity: dict, name: object, days: object, jti: str, now: datetime) -> dict:
    """The record of a personal token: whose, what for, until when (capped by role)."""
    longest = MAX_TOKEN_DAYS[identity["role"]]
    problems = {}
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        problems["name"] = ["a name to know it by, 1 to 100 characters"]
    if days is None:
        days = longest
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        problems["days"] = [f"a whole number of days from 1 to {longest}"]
    if problems:
        raise Invalid(f"invalid fields: {', '.join(sorted(problems))}", problems)
    return {
        "_id": jti,
        "account": identity["account"],
        "organisation_id": identity.get("organisation_id"),
        "name": name.strip(),
        "created_at": iso(now),
        "expires_at": iso(now + timedelta(days=days)),
        "revoked_at": None,
    }


def present_token(token: dict) -> dict:
    keys = ("name", "created_at", "expires_at", "revoked_at")
    return {"id": token["_id"], **{k: token.get(k) for k in keys}}


def token_standing(token: dict | None, now: datetime) -> bool:
    """Whether a personal token may still be used (its owner is checked apart)."""
    return bool(token) and not token.get("revoked_at") and token["expires_at"] > iso(now)
