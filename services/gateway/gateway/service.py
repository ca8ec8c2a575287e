"""The gateway: Tilts' single HTTP entry point, turning requests into RPC calls.

One nameko service: the API's route groups (api/) and the pages' (web/), which also
bring the templates to its config.
"""

# modules, not classes: `nameko run gateway.service` serves every class it finds here
from .api import (
    admin,
    audit,
    docs,
    health,
    matches,
    metrics,
    needs,
    notifications,
    offers,
    organisations,
    staff,
    tokens,
)
from .web import (
    console,
    console_admin,
    console_edit,
    console_needs,
    console_orgs,
    digest,
    landing,
    org,
    org_data,
    org_offers,
    org_profile,
    org_requests,
    public,
    register,
    respond,
    signin,
)


class GatewayService(
    health.HealthRoutes,
    organisations.OrganisationRoutes,
    offers.OfferRoutes,
    needs.NeedRoutes,
    matches.MatchRoutes,
    notifications.NotificationRoutes,
    digest.DigestRoutes,
    respond.RespondRoutes,
    public.PublicRoutes,
    admin.AdminRoutes,
    tokens.TokenRoutes,
    staff.StaffRoutes,
    audit.AuditRoutes,
    signin.SigninRoutes,
    org.OrgRoutes,  # an organisation's pages, which grow from the landing's
    org_profile.OrgProfileRoutes,
    org_offers.OrgOfferRoutes,
    org_requests.OrgRequestRoutes,
    org_data.OrgDataRoutes,
    landing.LandingRoutes,
    console.ConsoleRoutes,  # the staff's pages, which grow from the landing's too
    console_edit.ConsoleEditRoutes,  # before the needs' routes, whose form it shares
    console_needs.ConsoleNeedRoutes,
    console_orgs.ConsoleOrganisationRoutes,
    console_admin.ConsoleWatchRoutes,
    register.RegisterRoutes,
    docs.DocsRoutes,
    metrics.MetricsRoutes,
):
    """Every route group's handlers, served by one nameko service."""

    name = "gateway"
