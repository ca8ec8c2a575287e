"""The gateway: Tilts' single HTTP entry point, turning requests into RPC calls."""

from .routes.health import HealthRoutes
from .routes.matches import MatchRoutes
from .routes.needs import NeedRoutes
from .routes.notifications import NotificationRoutes
from .routes.offers import OfferRoutes
from .routes.organisations import OrganisationRoutes
from .routes.respond import RespondRoutes


class GatewayService(
    HealthRoutes,
    OrganisationRoutes,
    OfferRoutes,
    NeedRoutes,
    MatchRoutes,
    NotificationRoutes,
    RespondRoutes,
):
    """Every route group's handlers, served by one nameko service."""

    name = "gateway"
