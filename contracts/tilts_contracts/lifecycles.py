"""Every resource's lifecycle: its statuses, and the groups of them rules talk about.

Defined once here; services, the gateway's filters and OpenAPI, pages and exports
all read them from this module.
"""

ORGANISATION_STATUSES = ("pending", "verified", "suspended")

OFFER_STATUSES = ("active", "exhausted", "paused", "withdrawn")
# offers still on the wall, free capacity or not
STANDING_OFFER = ("active", "exhausted")
# offers their organisation still stands by: on the wall, or paused for a while (off the
# wall and asked for nothing new, their commitments and renewals kept)
KEPT_OFFER = ("active", "exhausted", "paused")

NEED_STATUSES = ("open", "matched", "fulfilled", "cancelled", "unmatched")
# needs matching still works on: not covered by accepted matches, not ended
WAITING_NEED = ("open", "unmatched")
# needs still to be met (not done, not cancelled)
CURRENT_NEED = ("open", "unmatched", "matched")
# needs whose life is over
CLOSED_NEED = ("fulfilled", "cancelled")
# needs ended for retention: their free text goes RETENTION_DAYS after they ended (an
# unmatched one may still come back when an offer could cover it: it counts from then)
ENDED_NEED = ("fulfilled", "cancelled", "unmatched")

MATCH_STATUSES = ("proposed", "accepted", "declined", "expired", "fulfilled", "cancelled")
# matches that hold part of a need and of an offer
LIVE_MATCH = ("proposed", "accepted", "fulfilled")
# matches still waiting on someone: proposed or accepted and not delivered
OPEN_MATCH = ("proposed", "accepted")
# help agreed to: accepted, and delivered
AGREED_MATCH = ("accepted", "fulfilled")
# matches whose capacity goes back to the offer and the need
RELEASING_MATCH = ("declined", "expired", "cancelled")
# why an organisation declines a request (optional; free text may go beside it)
DECLINE_REASONS = ("no_capacity", "not_in_region", "not_our_work", "too_soon", "other")
# an organisation's answer, for its responsiveness
ANSWERED_MATCH = ("accepted", "declined", "expired")

NOTIFICATION_STATUSES = ("pending", "held", "in_digest", "sent", "failed", "dropped")

DELIVERY_CHOICES = ("immediate", "digest")
