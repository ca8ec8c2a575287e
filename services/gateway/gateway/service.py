"""The gateway: Tilts' single HTTP entry point, turning requests into RPC calls."""

import re

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from tilts_contracts import settings
from tilts_contracts.errors import Invalid, NotFound

from . import pages
from .auth import Caller, caller
from .http import call, json_response, read_json, route

SERVICES = ("registry", "pledges", "matching", "notify")
SAFE_ID = re.compile(r"^[a-z]{2,5}_[0-9a-f]{12,40}$")
SAFE_CURSOR = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


class Settings(DependencyProvider):
    """The gateway's view of config: the token secret, RPC timeout, public URL."""

    def setup(self):
        config = self.container.config
        self.secret = settings.get(config, "AUTH_SECRET")
        self.timeout = float(settings.get(config, "RPC_TIMEOUT"))
        self.public_url = settings.get(config, "PUBLIC_URL").rstrip("/")
        self.templates = pages.environment()

    def get_dependency(self, worker_ctx):
        return self


def checked_id(value: str, what: str = "id") -> str:
    """Ids are opaque but well-formed: anything else (a path, a script) is not found."""
    if not SAFE_ID.match(value or ""):
        raise NotFound(f"no such {what}", {what: value[:60]})
    return value


def list_args(request, filters: tuple[str, ...]) -> tuple[dict, int, str | None]:
    """Filters, `limit` (1..500, default 50) and `cursor` from the query string."""
    args = request.args
    limit = args.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 500:
        raise Invalid("limit must be a whole number from 1 to 500", {"limit": [limit[:20]]})
    cursor = args.get("cursor") or None
    if cursor is not None and not SAFE_CURSOR.match(cursor):
        raise Invalid("cursor is not one this API gave out", {"cursor": [cursor[:60]]})
    return {k: args[k] for k in filters if args.get(k)}, int(limit), cursor


class GatewayService:
    name = "gateway"

    config: Settings = Settings()
    registry = RpcProxy("registry")
    pledges = RpcProxy("pledges")
    matching = RpcProxy("matching")
    notify = RpcProxy("notify")

    # -- plumbing ------------------------------------------------------------------------
    def _rpc(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        return call(
            getattr(self, service), method, *args, timeout=timeout or self.config.timeout, **kwargs
        )

    def _caller(self, request, *roles: str) -> Caller:
        who = caller(request, self.config.secret)
        return who.require(*roles) if roles else who

    # -- health ----------------------------------------------------------------------------
    @route("GET", "/health")
    def health(self, request):
        services = {}
        for name in SERVICES:
            try:
                self._rpc(name, "health", timeout=min(3.0, self.config.timeout))
                services[name] = "ok"
            except Exception:
                services[name] = "down"
        ok = all(v == "ok" for v in services.values())
        return json_response(
            {"status": "ok" if ok else "degraded", "services": services}, 200 if ok else 503
        )

    # -- organisations -----------------------------------------------------------------
    @route("POST", "/api/organisations")
    def create_organisation(self, request):
        who = self._caller(request, "admin", "coordinator")
        org = self._rpc("registry", "create_organisation", read_json(request), who.sub)
        return json_response(org, 201)

    @route("GET", "/api/organisations")
    def list_organisations(self, request):
        self._caller(request, "admin", "coordinator")
        filters, limit, cursor = list_args(request, ("domain", "region", "status", "q"))
        return json_response(self._rpc("registry", "list_organisations", filters, limit, cursor))

    @route("GET", "/api/organisations/<org_id>")
    def get_organisation(self, request, org_id):
        self._caller(request).require_org_or_staff(org_id)
        return json_response(self._rpc("registry", "get_organisation", checked_id(org_id)))

    @route("PATCH", "/api/organisations/<org_id>")
    def update_organisation(self, request, org_id):
        who = self._caller(request).require_org_or_staff(org_id)
        changes = read_json(request)
        org = self._rpc("registry", "update_organisation", checked_id(org_id), changes, who.sub)
        return json_response(org)

    @route("POST", "/api/organisations/<org_id>/verify")
    def verify_organisation(self, request, org_id):
        who = self._caller(request, "admin", "coordinator")
        return json_response(
            self._rpc("registry", "verify_organisation", checked_id(org_id), who.sub)
        )

    @route("POST", "/api/organisations/<org_id>/suspend")
    def suspend_organisation(self, request, org_id):
        who = self._caller(request, "admin", "coordinator")
        reason = read_json(request).get("reason", "") if request.get_data() else ""
        org = self._rpc(
            "registry", "suspend_organisation", checked_id(org_id), who.sub, str(reason)
        )
        return json_response(org)

    # -- offers ----------------------------------------------------------------------------
    @route("POST", "/api/offers")
    def pledge_offer(self, request):
        who = self._caller(request, "admin", "coordinator", "organisation")
        data = read_json(request)
        if who.role == "organisation":
            data.setdefault("organisation_id", who.org)
            who.require_org_or_staff(data["organisation_id"])
        org_id = data.get("organisation_id")
        if isinstance(org_id, str) and SAFE_ID.match(org_id):
            try:
                self._rpc("registry", "get_organisation", org_id)
            except NotFound as exc:
                raise Invalid(
                    "no such organisation", {"organisation_id": ["unknown organisation"]}
                ) from exc
        return json_response(self._rpc("pledges", "pledge_offer", data), 201)

    @route("GET", "/api/offers")
    def list_offers(self, request):
        who = self._caller(request)
        filters, limit, cursor = list_args(
            request, ("domain", "region", "organisation_id", "status")
        )
        if not who.is_staff:
            filters["organisation_id"] = who.org
        return json_response(self._rpc("pledges", "list_offers", filters, limit, cursor))

    @route("GET", "/api/offers/<offer_id>")
    def get_offer(self, request, offer_id):
        who = self._caller(request)
        offer = self._rpc("pledges", "get_offer", checked_id(offer_id))
        who.require_org_or_staff(offer["organisation_id"])
        return json_response(offer)

    @route("POST", "/api/offers/<offer_id>/withdraw")
    def withdraw_offer(self, request, offer_id):
        who = self._caller(request)
        offer = self._rpc("pledges", "get_offer", checked_id(offer_id))
        who.require_org_or_staff(offer["organisation_id"])
        return json_response(self._rpc("pledges", "withdraw_offer", offer_id))

    # -- needs -----------------------------------------------------------------------------
    @route("POST", "/api/needs")
    def post_need(self, request):
        self._caller(request, "admin", "coordinator")
        return json_response(self._rpc("pledges", "post_need", read_json(request)), 201)

    @route("GET", "/api/needs")
    def list_needs(self, request):
        self._caller(request, "admin", "coordinator")
        filters, limit, cursor = list_args(request, ("domain", "region", "status", "urgency"))
        return json_response(self._rpc("pledges", "list_needs", filters, limit, cursor))

    @route("GET", "/api/needs/<need_id>")
    def get_need(self, request, need_id):
        self._caller(request, "admin", "coordinator")
        return json_response(self._rpc("pledges", "get_need", checked_id(need_id)))

    @route("POST", "/api/needs/<need_id>/cancel")
    def cancel_need(self, request, need_id):
        self._caller(request, "admin", "coordinator")
        return json_response(self._rpc("pledges", "cancel_need", checked_id(need_id)))

    # -- matches -----------------------------------------------------------------------------
    @route("GET", "/api/matches")
    def list_matches(self, request):
        who = self._caller(request)
        filters, limit, cursor = list_args(request, ("need_id", "organisation_id", "status"))
        if not who.is_staff:
            filters["organisation_id"] = who.org
        return json_response(self._rpc("matching", "list_matches", filters, limit, cursor))

    @route("POST", "/api/matches/<match_id>/<any(accept,decline,fulfil):action>")
    def answer_match(self, request, match_id, action):
        who = self._caller(request)
        match = self._rpc("matching", "get_match", checked_id(match_id))
        who.require_org_or_staff(match["organisation_id"])
        org = None if who.is_staff else who.org
        return json_response(self._rpc("matching", f"{action}_match", match_id, org))

    # -- notifications -----------------------------------------------------------------------
    @route("GET", "/api/notifications")
    def list_notifications(self, request):
        self._caller(request, "admin", "coordinator")
        filters, limit, cursor = list_args(request, ("status", "recipient", "template"))
        return json_response(self._rpc("notify", "list_notifications", filters, limit, cursor))

    # -- the one-click answer from an email ------------------------------------------------
    @route("GET", "/respond/<token>")
    def respond_page(self, request, token):
        """Shows the request and the buttons; changes nothing (mail scanners open links)."""
        return pages.respond(self, request, token, act=False)

    @route("POST", "/respond/<token>")
    def respond_action(self, request, token):
        return pages.respond(self, request, token, act=True)
