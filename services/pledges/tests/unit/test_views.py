"""The dashboard's gap grid: a gap is what current needs ask for and no live match covers."""

from pledges import domain, views


def need(nid, quantity, status="open", domain_="health", region="latgale"):
    return {"_id": nid, "domain": domain_, "region": region, "status": status, "quantity": quantity}


def offer(remaining, regions, domain_="health", status="active"):
    return {"domain": domain_, "regions": regions, "status": status, "remaining": remaining}


def cell(grid, domain_, region):
    return next(r for r in grid if r["domain"] == domain_)["regions"][region]


def test_what_pending_proposals_cover_is_no_gap():
    # the audit's Health x Latgale: 2 (proposal of 2), 3 (proposal of 2), 1 unmatched
    needs = [need("n1", 2), need("n2", 3), need("n3", 1, "unmatched")]
    c = cell(views.gap_grid(needs, [], {"n1": 2, "n2": 2}), "health", "latgale")
    assert c["gap"] == 2  # 1 left of n2, and n3
    assert (c["needed"], c["covered"]) == (6, 4)
    assert c["needs"] == {"open": 2, "matched": 0, "unmatched": 1, "fulfilled": 0}


def test_an_unmatched_need_is_a_gap_even_beside_free_capacity_that_does_not_fit():
    # a uk need an organisation declined; its offer still has 2 free in the cell
    needs = [need("n1", 1, "unmatched", "policy", "kurzeme")]
    offers = [offer(2, ["kurzeme"], "policy")]
    c = cell(views.gap_grid(needs, offers, {}), "policy", "kurzeme")
    assert c["gap"] == 1 and c["remaining"] == 2


def test_matched_fulfilled_and_cancelled_needs_leave_no_gap():
    needs = [
        need("n1", 4, "matched"),
        need("n2", 5, "fulfilled"),
        need("n3", 7, "cancelled"),
        need("n4", 2, "open"),  # over-covered by proposals counts as covered, not negative
    ]
    c = cell(views.gap_grid(needs, [], {"n1": 4, "n2": 5, "n4": 3}), "health", "latgale")
    assert c["gap"] == 0 and c["needed"] == 6 and c["covered"] == 6


def test_nationwide_offers_show_in_their_own_column_and_free_capacity_never_hides_a_gap():
    needs = [need("n1", 5, "open", "legal", "zemgale")]
    offers = [offer(100, ["nationwide"], "legal"), offer(3, ["zemgale"], "legal", "withdrawn")]
    grid = views.gap_grid(needs, offers, {"n1": 1})
    assert cell(grid, "legal", "zemgale")["gap"] == 4
    assert cell(grid, "legal", "zemgale")["remaining"] == 0
    assert cell(grid, "legal", "nationwide")["remaining"] == 100
    row = next(r for r in grid if r["domain"] == "legal")
    assert row["free"] == 100  # a domain's free capacity counts each active offer once


def test_an_offer_in_several_regions_counts_once_in_its_domain():
    offers = [offer(7, ["riga", "vidzeme", "nationwide"])]
    row = next(r for r in views.gap_grid([], offers, {}) if r["domain"] == "health")
    assert row["free"] == 7 and row["regions"]["riga"]["remaining"] == 7


def test_live_matches_are_the_ones_that_cover():
    assert set(domain.LIVE) == {"proposed", "accepted", "fulfilled"}
    assert views.uncovered(need("n", 3), 5) == 0
    assert views.uncovered(need("n", 3, "cancelled"), 0) == 0
