"""An erased organisation's offers: the free text goes, the record stays."""

from datetime import UTC, datetime

from pledges import rules
from tilts_contracts.events import envelope
from tilts_runtime.store import OUTBOX

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def pledged(**fields):
    return rules.pledge_offer(
        {
            "organisation_id": "org_0123456789abcdef",
            "domain": "legal",
            "title": "Jāņa Ozoliņa juridiskās konsultācijas",
            "description": "Pieņem Jānis Ozoliņš Jelgavā",
            "capacity": 3,
            "unit": "konsultācijas pie Jāņa",
            "regions": ["riga"],
            **fields,
        },
        "off_0123456789abcdef",
        NOW,
    )


def test_an_erased_organisations_offer_keeps_its_record_and_none_of_its_text():
    offer = pledged()
    forced = {**offer, "forced": True}  # an earlier forced cut must not ride along
    forgotten = rules.forget_offer_text(forced, NOW)
    assert {k: forgotten[k] for k in ("title", "description", "unit")} == {
        "title": "—",
        "description": "",
        "unit": "",
    }
    assert forgotten["forced"] is False
    assert forgotten["org_erased"] is True  # off the wall and the free capacity
    kept = ("domain", "capacity", "remaining", "status", "regions", "created_at")
    assert {k: forgotten[k] for k in kept} == {k: offer[k] for k in kept}
    assert "Jān" not in str(forgotten) and "Ozoliņ" not in str(forgotten)


def test_events_of_the_offer_not_yet_published_lose_its_text_too():
    offer = pledged()
    waiting = envelope("offer_pledged", {**offer, "id": offer["_id"]})
    forgotten = rules.forget_offer_text({**offer, OUTBOX: [waiting]}, NOW)
    [event] = forgotten[OUTBOX]
    assert event["event_id"] == waiting["event_id"] and event["payload"]["capacity"] == 3
    assert "Jān" not in str(event) and "Ozoliņ" not in str(event)
