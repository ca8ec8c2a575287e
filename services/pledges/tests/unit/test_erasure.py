"""An erased organisation's offers: the free text goes, the record stays."""

from datetime import UTC, datetime

from pledges import domain

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_an_erased_organisations_offer_keeps_all_but_its_description():
    offer = domain.pledge_offer(
        {
            "organisation_id": "org_0123456789abcdef",
            "domain": "legal",
            "title": "Juridiskas konsultācijas",
            "description": "Zvaniet Jānim: +371 26 777 676",
            "capacity": 3,
            "regions": ["riga"],
        },
        "off_0123456789abcdef",
        NOW,
    )
    forced = {**offer, "forced": True}  # an earlier forced cut must not ride along
    forgotten = domain.forget_offer_text(forced, NOW)
    assert forgotten["description"] == "" and forgotten["forced"] is False
    assert forgotten["org_erased"] is True  # off the wall and the free capacity
    kept = ("title", "domain", "capacity", "remaining", "status", "regions", "created_at")
    assert {k: forgotten[k] for k in kept} == {k: offer[k] for k in kept}
