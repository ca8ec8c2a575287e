"""The gateway: Tilts' single HTTP entry point, turning requests into RPC calls."""

# modules, not classes: `nameko run gateway.service` serves every class it finds here
from .routes import (
    admin,
    docs,
    health,
    matches,
    metrics,
    needs,
    notifications,
    offers,
    organisations,
    public,
    respond,
)


class GatewayService(
    health.HealthRoutes,
    organisations.OrganisationRoutes,
    offers.OfferRoutes,
    needs.NeedRoutes,
    matches.MatchRoutes,
    notifications.NotificationRoutes,
    respond.RespondRoutes,
    public.PublicRoutes,
    admin.AdminRoutes,
    docs.DocsRoutes,
    metrics.MetricsRoutes,
):
    """Every route group's handlers, served by one nameko service."""

    name = "gateway"
