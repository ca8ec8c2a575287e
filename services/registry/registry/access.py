"""Who may act, over RPC: sign-in links, sessions, personal tokens and staff accounts.

Mixed into RegistryService (which provides `store`, a RegistryStore, and `dispatch`).
Secrets (link tokens, session ids) are answered once and stored only as hashes; the
gateway signs personal tokens, the registry keeps their records so they can be revoked.
"""

import secrets

from tilts_contracts import taxonomy
from tilts_contracts.clock import iso, new_id, utcnow
from tilts_contracts.errors import NotFound, Unauthenticated
from tilts_runtime.audit import entry
from tilts_runtime.operable import rpc

from . import accounts
from .access_store import GONE_ON, KEEP_AFTER, RegistryStore

SAME_ANSWER = {"status": "sent"}  # known, unknown, limited or junk: nobody can tell


class AccessRpcs:
    store: RegistryStore

    # -- signing in -------------------------------------------------------------------
    @rpc
    def request_signin(self, email: object, client: object, language: object = "lv") -> dict:
        """Email a sign-in link to a known address, within the limits; the same answer
        whatever happened. Junk is answered at once and leaves nothing behind."""
        key = accounts.address_key(email)
        if key is None:
            return SAME_ANSWER
        now = utcnow()
        if self.store.count(f"client:{str(client)[:64]}", now) > accounts.PER_CLIENT:
            return SAME_ANSWER
        if self.store.count(f"addr:{accounts.digest(key)}", now) > accounts.PER_ADDRESS:
            return SAME_ANSWER
        identity = self._identity_of_address(key)
        if identity is None:
            return SAME_ANSWER
        token = secrets.token_urlsafe(32)
        expires = now + accounts.LINK_LIFE
        link = {
            "_id": accounts.digest(token),
            "account": identity["account"],
            "organisation_id": identity.get("organisation_id"),
            "expires_at": iso(expires),
            "used_at": None,
            GONE_ON: expires + KEEP_AFTER,
        }
        lang = language if language in taxonomy.UI_LANGUAGES else "lv"
        payload = {"email": key, "token": token, "language": lang, "kind": identity["kind"]}
        payload["expires_at"] = iso(expires)
        self.store.add("signins", link, [("signin_requested", payload)], self.dispatch)
        return SAME_ANSWER

    # -- the public questionnaire page -------------------------------------------
    @rpc
    def allow_registration(self, client: object) -> bool:
        """Count one questionnaire from `client` (sent by the /register page) this hour;
        False once past the limit. Counted here, so every gateway replica shares it."""
        key = f"register:{str(client)[:64]}"
        return self.store.count(key, utcnow()) <= accounts.PER_CLIENT_REGISTRATIONS

    @rpc
    def request_signin_for_repeated(
        self, attempt_id: object, client: object, language: object = "lv"
    ) -> dict:
        """A questionnaire named a registered organisation (`attempt_id`, the id it was
        sent with): email a sign-in link to that organisation's own address, which its
        sender never sees. Within the sign-in limits, and only shortly after; the same
        answer whatever happened."""
        attempt = self.store.repeated_registration(attempt_id)
        since = iso(utcnow() - accounts.REPEATED_ASK_WITHIN)
        if attempt is None or attempt["at"] < since:
            return SAME_ANSWER
        org = self.store.db.organisations.find_one({"_id": attempt["organisation_id"]})
        if org is None or org.get("erased") or not org.get("email"):
            return SAME_ANSWER
        return self.request_signin(org["email"], client, language)

    @rpc
    def use_signin(self, token: object) -> dict:
        """Start a session from a link, once: `{"status": "ok", "session", "identity"}`,
        or the status `used`, `expired` or `unknown` for the page to explain."""
        if not isinstance(token, str) or not 10 <= len(token) <= 200:
            return {"status": "unknown"}
        now = utcnow()
        status, link = self.store.use_link(accounts.digest(token), now)
        if status != "ok":
            return {"status": status}
        identity = self.store.identity(link["account"])
        if identity is None:  # removed or suspended since the link was sent
            return {"status": "unknown"}
        session_id = secrets.token_urlsafe(32)
        self.store.start_session(accounts.digest(session_id), identity, now)
        return {"status": "ok", "session": session_id, "identity": identity}

    @rpc
    def session(self, session_id: object) -> dict | None:
        """Who a session cookie stands for now, or None (ended, or its account shut)."""
        if not isinstance(session_id, str) or len(session_id) > 200:
            return None
        found = self.store.live_session(accounts.digest(session_id), utcnow())
        return self.store.identity(found["account"]) if found else None

    @rpc
    def end_session(self, session_id: object) -> None:
        if isinstance(session_id, str) and len(session_id) <= 200:
            self.store.end_session(accounts.digest(session_id))

    # -- personal tokens ------------------------------------------------------------
    @rpc
    def make_token(self, account: str, name: object, days: object = None) -> dict:
        """The record of a new personal token (the gateway signs it); its id is `jti`."""
        identity = self._identity(account)
        now = utcnow()
        token = accounts.new_token(identity, name, days, new_id("tok"), now)
        token = self.store.add(
            "tokens", token, audit=entry(account, "token_made", token["_id"], token["name"])
        )
        return {**accounts.present_token(token), "identity": identity}

    @rpc
    def list_tokens(self, account: str) -> dict:
        items = [accounts.present_token(t) for t in self.store.tokens_of(account)]
        return {"items": items, "next": None}

    @rpc
    def revoke_token(self, account: str, jti: str) -> dict:
        """Revoke one of `account`'s own tokens (someone else's is not found)."""
        now = utcnow()

        def revoke(token: dict) -> dict:
            if token["account"] != account:
                raise NotFound(f"no token {jti}", {"id": jti})
            return token if token.get("revoked_at") else {**token, "revoked_at": iso(now)}

        token = self.store.change("tokens", jti, revoke, audit=entry(account, "token_revoked", jti))
        return accounts.present_token(token)

    @rpc
    def token_status(self, jti: object) -> dict | None:
        """Who a personal token stands for, or None: revoked, expired, or its owner
        removed, suspended or erased."""
        if not isinstance(jti, str) or len(jti) > 100:
            return None
        token = self.store.db.tokens.find_one({"_id": jti})
        if not accounts.token_standing(token, utcnow()):
            return None
        return self.store.identity(token["account"])

    # -- staff ------------------------------------------------------------------------
    @rpc
    def add_staff(self, data: dict, by: str) -> dict:
        """A staff account (the gateway lets only an admin or the operator ask)."""
        fresh = accounts.new_staff(
            data if isinstance(data, dict) else {}, new_id("stf"), by, utcnow()
        )
        existing = self.store.staff_by_email(fresh["email"])
        action = entry(by, "staff_added", "", fresh["role"])
        if existing is None:
            staff = self.store.insert_staff(fresh, {**action, "object_id": fresh["_id"]})
        else:
            staff = self.store.change(
                "staff",
                existing["_id"],
                lambda s: accounts.revive_staff(s, fresh),
                audit={**action, "object_id": existing["_id"]},
            )
        return accounts.present_staff(staff)

    @rpc
    def list_staff(self) -> dict:
        return {"items": [accounts.present_staff(s) for s in self.store.staff_list()], "next": None}

    @rpc
    def remove_staff(self, email: object, by: str) -> dict:
        """End a staff account: its sessions at once, its tokens at their next check."""
        key = accounts.address_key(email)
        found = self.store.staff_by_email(key) if key else None
        if found is None or found.get("removed_at"):
            raise NotFound("no staff account with this address", {"email": [str(email)[:80]]})
        staff = self.store.change(
            "staff",
            found["_id"],
            lambda s: accounts.remove_staff(s, by, utcnow()),
            audit=entry(by, "staff_removed", found["_id"]),
        )
        self.store.end_sessions({"account": accounts.staff_account(found["_id"])})
        return accounts.present_staff(staff)

    # -- helpers ----------------------------------------------------------------------
    def _identity(self, account: str) -> dict:
        identity = self.store.identity(account)
        if identity is None:
            raise Unauthenticated("this account can no longer act")
        return identity

    def _identity_of_address(self, key: str) -> dict | None:
        staff = self.store.staff_by_email(key)
        if staff is not None and not staff.get("removed_at"):
            return accounts.staff_identity(staff)
        org = self.store.organisation_of_address(key)
        return accounts.contact_identity(org, key) if org else None
