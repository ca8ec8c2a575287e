"""The public views: the dashboard's gap grid (a gap is what current needs ask for and no
live match covers), the wall and the commitment document."""

from datetime import date

from nameko.testing.services import worker_factory

from pledges import rules, views
from pledges.service import PledgesService
from tilts_contracts.clock import utcnow

TODAY = date(2026, 11, 24)


def need(nid, quantity, status="open", domain_="health", region="latgale"):
    return {"_id": nid, "domain": domain_, "region": region, "status": status, "quantity": quantity}


def offer(remaining, regions, domain_="health", status="active", **fields):
    return {
        "domain": domain_,
        "regions": regions,
        "status": status,
        "remaining": remaining,
        **fields,
    }


def cell(grid, domain_, region):
    return next(r for r in grid if r["domain"] == domain_)["regions"][region]


def test_what_pending_proposals_cover_is_no_gap():
    # the audit's Health x Latgale: 2 (proposal of 2), 3 (proposal of 2), 1 unmatched
    needs = [need("n1", 2), need("n2", 3), need("n3", 1, "unmatched")]
    c = cell(views.gap_grid(needs, [], {"n1": 2, "n2": 2}, TODAY), "health", "latgale")
    assert c["gap"] == 2  # 1 left of n2, and n3
    assert (c["needed"], c["covered"]) == (6, 4)
    assert c["needs"] == {"open": 2, "matched": 0, "unmatched": 1, "fulfilled": 0}


def test_an_unmatched_need_is_a_gap_even_beside_free_capacity_that_does_not_fit():
    # a uk need an organisation declined; its offer still has 2 free in the cell
    needs = [need("n1", 1, "unmatched", "policy", "kurzeme")]
    offers = [offer(2, ["kurzeme"], "policy")]
    c = cell(views.gap_grid(needs, offers, {}, TODAY), "policy", "kurzeme")
    assert c["gap"] == 1 and c["remaining"] == 2


def test_matched_fulfilled_and_cancelled_needs_leave_no_gap():
    needs = [
        need("n1", 4, "matched"),
        need("n2", 5, "fulfilled"),
        need("n3", 7, "cancelled"),
        need("n4", 2, "open"),  # over-covered by proposals counts as covered, not negative
    ]
    c = cell(views.gap_grid(needs, [], {"n1": 4, "n2": 5, "n4": 3}, TODAY), "health", "latgale")
    assert c["gap"] == 0 and c["needed"] == 6 and c["covered"] == 6


def test_nationwide_offers_show_in_their_own_column_and_free_capacity_never_hides_a_gap():
    needs = [need("n1", 5, "open", "legal", "zemgale")]
    offers = [offer(100, ["nationwide"], "legal"), offer(3, ["zemgale"], "legal", "withdrawn")]
    grid = views.gap_grid(needs, offers, {"n1": 1}, TODAY)
    assert cell(grid, "legal", "zemgale")["gap"] == 4
    assert cell(grid, "legal", "zemgale")["remaining"] == 0
    assert cell(grid, "legal", "nationwide")["remaining"] == 100
    row = next(r for r in grid if r["domain"] == "legal")
    assert row["free"] == 100  # a domain's free capacity counts each active offer once


def test_an_offer_in_several_regions_counts_once_in_its_domain():
    offers = [offer(7, ["riga", "vidzeme", "nationwide"])]
    row = next(r for r in views.gap_grid([], offers, {}, TODAY) if r["domain"] == "health")
    assert row["free"] == 7 and row["regions"]["riga"]["remaining"] == 7


def test_live_matches_are_the_ones_that_cover():
    assert set(rules.LIVE) == {"proposed", "accepted", "fulfilled"}
    assert views.uncovered(need("n", 3), 5) == 0
    assert views.uncovered(need("n", 3, "cancelled"), 0) == 0


def test_an_offer_whose_availability_ended_has_no_free_capacity_and_leaves_the_wall():
    offers = [
        offer(5, ["riga"], _id="off_ended", available_until="2026-11-23"),
        offer(3, ["riga"], _id="off_last_day", available_until="2026-11-24"),
        offer(2, ["riga"], _id="off_open_ended", available_until=None),
    ]
    row = next(r for r in views.gap_grid([], offers, {}, TODAY) if r["domain"] == "health")
    assert row["free"] == 5 and row["regions"]["riga"]["remaining"] == 5
    health = next(d for d in views.wall(offers, TODAY) if d["domain"] == "health")
    assert [o["id"] for o in health["offers"]] == ["off_last_day", "off_open_ended"]


def test_the_commitment_document_keeps_an_ended_offer_with_what_it_delivered():
    offers = [
        offer(4, ["riga"], _id="off_ended", capacity=6, available_until="2026-11-01"),
        offer(1, ["riga"], _id="off_live", capacity=1, available_until="2026-12-31"),
    ]
    delivered = {"off_ended": {"accepted": 2, "fulfilled": 2, "matches": 1}}
    health = next(d for d in views.commitments(offers, delivered, TODAY) if d["domain"] == "health")
    ended, live = health["commitments"]
    assert (ended["id"], ended["fulfilled"], ended["accepted"]) == ("off_ended", 2, 2)
    assert ended["remaining"] == 0 and live["remaining"] == 1


class ViewStore:
    """The store as the public views read it: one offer that ended yesterday."""

    def __init__(self, until: str):
        self.offer = {
            "_id": "off_1",
            "organisation_id": "org_1",
            "domain": "health",
            "regions": ["riga"],
            "status": "active",
            "capacity": 3,
            "remaining": 3,
            "available_until": until,
        }

    def public_offers(self, region, with_erased, statuses=()):
        return [self.offer]

    def live_offers(self):
        return [self.offer]

    def all_needs(self):
        return []

    def covered_by_need(self, live):
        return {}

    def delivered_by_offer(self):
        return {"off_1": {"accepted": 3, "fulfilled": 3, "matches": 1}}


def test_the_service_decides_what_ended_by_todays_utc_date():
    yesterday = date.fromordinal(utcnow().date().toordinal() - 1).isoformat()
    service = worker_factory(PledgesService, store=ViewStore(yesterday))
    health = next(d for d in service.resource_wall()["domains"] if d["domain"] == "health")
    assert health["offers"] == []
    grid = service.dashboard()["grid"]
    assert next(r for r in grid if r["domain"] == "health")["free"] == 0
    document = service.commitments()["domains"]
    [kept] = next(d for d in document if d["domain"] == "health")["commitments"]
    assert (kept["fulfilled"], kept["remaining"]) == (3, 0)
    today = utcnow().date().isoformat()
    service = worker_factory(PledgesService, store=ViewStore(today))
    health = next(d for d in service.resource_wall()["domains"] if d["domain"] == "health")
    assert [o["id"] for o in health["offers"]] == ["off_1"]  # its last day: still there
