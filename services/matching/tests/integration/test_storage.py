"""MatchingStore over a real NX-27017: candidate slots follow the offers, and the candidate
query finds exactly the offers the matching rules allow, the freest first."""

import random
import uuid
from datetime import date

import pytest
from pymongo import MongoClient

from matching import rules
from matching.storage import MatchingStore, slots_of, with_open_ends
from tilts_contracts.settings import database_name
from tilts_runtime.store import VERSION

pytestmark = pytest.mark.integration

TODAY = "2026-03-01"


@pytest.fixture
def store(mongo_uri):
    with MongoClient(mongo_uri) as client:
        store = MatchingStore(client[database_name("matching")])
        store.ensure_indexes()
        yield store


def uid(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def org(store, status="verified", revision=2, org_id=None):
    record = {
        "id": org_id or uid("org"),
        "name": "Org",
        "email": "o@ex.org",
        "preferred_language": "lv",
        "status": status,
        "revision": revision,
    }
    store.record_organisation(record)
    return record


def offer(store, org_id, capacity=10, regions=("riga",), languages=("lv",), **fields):
    event = {
        "id": uid("off"),
        "organisation_id": org_id,
        "domain": "health",
        "title": "t",
        "capacity": capacity,
        "regions": list(regions),
        "languages": list(languages),
        "status": "active",
        "public": True,
        "revision": 1,
        **fields,
    }
    assert store.add_offer(event)
    return event["id"]


def need(region="riga", languages=(), **fields):
    return {
        "_id": uid("need"),
        "domain": "health",
        "region": region,
        "languages": list(languages),
        "quantity": 1,
        **fields,
    }


def slots(store, offer_id):
    return {s["region"]: s for s in store.db.offer_slots.find({"offer_id": offer_id})}


def found(store, n, pool=200):
    return [o["_id"] for o in store.candidate_slots(n, TODAY, pool)]


def edit(store, offer_id, **fields):
    held = store.get_offer(offer_id)
    assert store.save_offer({**held, **fields})


# -- the slots follow every write to an offer ----------------------------------------


def test_an_offer_has_one_slot_per_region_copying_what_matching_filters_on(store):
    o = org(store)
    off = offer(store, o["id"], capacity=7, regions=("riga", "nationwide"), languages=("ru",))
    held = store.get_offer(off)
    by_region = slots(store, off)
    assert set(by_region) == {"riga", "nationwide"}
    riga = by_region["riga"]
    assert riga["_id"] == f"{off}|riga"
    assert riga["slot"] == "health|riga"
    assert (riga["free"], riga["remaining"], riga["version"]) == (7, 7, held[VERSION])
    assert (riga["status"], riga["org_status"], riga["languages"]) == ("active", "verified", ["ru"])
    assert riga["organisation_id"] == o["id"]


def test_reserve_and_release_move_the_slots_free_capacity(store):
    off = offer(store, org(store)["id"], capacity=5, regions=("riga", "kurzeme"))
    assert store.reserve(off, 3)
    assert {r: s["free"] for r, s in slots(store, off).items()} == {"riga": 2, "kurzeme": 2}
    assert not store.reserve(off, 3)  # only 2 left: the offer refuses, the slots stay
    assert store.reserve(off, 2)
    assert slots(store, off)["riga"]["free"] == 0
    store.release(off, 4)
    held = store.get_offer(off)
    assert {(s["free"], s["version"]) for s in slots(store, off).values()} == {(4, held[VERSION])}


def test_an_edited_offer_rewrites_its_slots_and_drops_regions_it_left(store):
    off = offer(store, org(store)["id"], regions=("riga", "kurzeme"), languages=("lv",))
    edit(store, off, regions=["latgale"], languages=["ru", "uk"], available_until="2026-04-01")
    by_region = slots(store, off)
    assert set(by_region) == {"latgale"}
    assert by_region["latgale"]["languages"] == ["ru", "uk"]
    assert by_region["latgale"]["available_until"] == "2026-04-01"
    edit(store, off, status="withdrawn")
    assert slots(store, off)["latgale"]["free"] == 0  # out of the range the query reads


def test_the_organisations_status_reaches_its_offers_slots(store):
    o = org(store, status="pending", revision=1)
    off = offer(store, o["id"], capacity=4)
    assert slots(store, off)["riga"]["free"] == 0  # not verified yet
    assert found(store, need()) == []
    org(store, status="verified", revision=2, org_id=o["id"])
    assert (slots(store, off)["riga"]["org_status"], slots(store, off)["riga"]["free"]) == (
        "verified",
        4,
    )
    assert found(store, need()) == [off]
    org(store, status="suspended", revision=3, org_id=o["id"])
    assert slots(store, off)["riga"]["free"] == 0
    assert found(store, need()) == []


def test_a_late_writer_never_puts_an_older_copy_over_a_newer_slot(store):
    off = offer(store, org(store)["id"], capacity=5)
    before = store.get_offer(off)
    assert store.reserve(off, 2)
    store.sync_slots(before, prune=True)  # a writer that read the offer before the reserve
    assert slots(store, off)["riga"]["free"] == 3


# -- the candidate query -------------------------------------------------------------


def test_candidates_come_from_the_needs_region_and_nationwide_only(store):
    o = org(store)["id"]
    riga = offer(store, o, capacity=3, regions=("riga",))
    everywhere = offer(store, o, capacity=5, regions=("nationwide",))
    both = offer(store, o, capacity=4, regions=("riga", "nationwide"))
    kurzeme = offer(store, o, capacity=1, regions=("kurzeme",))
    offer(store, o, domain="legal")
    empty = offer(store, o, capacity=2)
    assert store.reserve(empty, 2)
    assert found(store, need()) == [everywhere, both, riga]  # the freest first, each once
    assert found(store, need(region="kurzeme")) == [everywhere, both, kurzeme]
    assert set(found(store, need(region="latgale"))) == {everywhere, both}


def test_a_need_naming_languages_finds_offers_sharing_one(store):
    o = org(store)["id"]
    lv = offer(store, o, languages=("lv",))
    ru_uk = offer(store, o, languages=("ru", "uk"))
    offer(store, o, languages=("en",))
    assert set(found(store, need(languages=("uk", "lv")))) == {lv, ru_uk}
    assert found(store, need(languages=("ru",))) == [ru_uk]
    assert len(found(store, need())) == 3


def test_availability_pages_past_the_freest_offers_when_they_are_away_that_day(store):
    o = org(store)["id"]
    away = [offer(store, o, capacity=50 - i, available_until="2026-02-01") for i in range(7)]
    later = offer(store, o, capacity=30, available_from="2026-06-01")
    there = [offer(store, o, capacity=10 - i) for i in range(4)]
    # a pool of 2: the first page of slots holds only offers away on the day
    assert found(store, need(), pool=2) == there[:2]
    assert found(store, need(needed_by="2026-07-01"), pool=2) == [later, there[0]]
    assert found(store, need(needed_by="2026-01-15"), pool=3) == away[:3]
    assert set(found(store, need(), pool=200)) == set(there)
    assert all(i in found(store, need(needed_by="2026-01-15")) for i in away + there)
    assert away[0] not in found(store, need(needed_by="2026-02-02"))


def test_paging_through_equal_free_capacity_misses_nobody(store):
    o = org(store)["id"]
    for _ in range(9):  # as free as the rest, away on the day
        offer(store, o, capacity=5, available_until="2026-02-01")
    there = [offer(store, o, capacity=5) for _ in range(5)]
    everywhere = [offer(store, o, capacity=5, regions=("nationwide",)) for _ in range(3)]
    for pool in (1, 2, 3, 4, 7):
        got = found(store, need(), pool=pool)
        assert len(got) == min(pool, 8) == len(set(got))
        assert set(got) <= set(there + everywhere)
    assert set(found(store, need(), pool=8)) == set(there + everywhere)


def test_candidates_are_the_freest_eligible_offers_whatever_the_mix(store):
    """The query against the rules checked offer by offer over every offer."""
    rng = random.Random(5)
    orgs = [org(store)["id"] for _ in range(3)] + [org(store, status="pending", revision=1)["id"]]
    regions = ["riga", "kurzeme", "latgale", "nationwide"]
    langs = ["lv", "ru", "en", "uk"]
    ids = []
    for _ in range(150):
        start = rng.choice([None, "2026-01-01", "2026-02-20", "2026-03-10"])
        end = rng.choice([None, "2026-02-25", "2026-03-05", "2026-12-31"])
        ids.append(
            offer(
                store,
                rng.choice(orgs),
                capacity=rng.randint(1, 6),
                regions=rng.sample(regions, rng.randint(1, 2)),
                languages=rng.sample(langs, rng.randint(0, 2)),
                domain=rng.choice(["health", "legal"]),
                available_from=start,
                available_until=end,
                status=rng.choice(["active"] * 5 + ["withdrawn"]),
            )
        )
    for off in rng.sample(ids, 30):
        store.reserve(off, rng.randint(1, 6))
    all_offers = list(store.db.offers.find({}))
    for _ in range(25):
        n = need(
            region=rng.choice(regions[:3]),
            languages=rng.sample(langs, rng.randint(0, 2)),
            domain=rng.choice(["health", "legal"]),
            needed_by=rng.choice([None, "2026-02-22", "2026-03-07"]),
        )
        eligible = [o for o in all_offers if rules.is_candidate(o, n, date.fromisoformat(TODAY))]
        for pool in (3, 200):
            got = store.candidate_slots(n, TODAY, pool)
            assert len(got) == min(pool, len(eligible))
            assert all(rules.is_candidate(o, n, date.fromisoformat(TODAY)) for o in got)
            best = sorted((o["remaining"] for o in eligible), reverse=True)[:pool]
            assert sorted((o["remaining"] for o in got), reverse=True) == best


# -- stale slots cost a candidate, never capacity --------------------------------------


def test_a_stale_slot_never_allocates_more_than_the_offer_has(store):
    off = offer(store, org(store)["id"], capacity=2)
    # a slot left behind (a worker died between its offer's write and the slot's)
    store.db.offers.update_one({"_id": off}, {"$inc": {"remaining": -1, VERSION: 1}})
    store.db.offer_slots.update_one({"_id": f"{off}|riga"}, {"$set": {"free": 50}})
    [described] = store.candidate_slots(need(), TODAY)
    assert described["remaining"] == 50  # what the slot says
    held = store.offer_if_candidate(described, need(), TODAY)
    assert held["remaining"] == 1  # the offer's own figure, read before acting on it
    assert slots(store, off)["riga"]["free"] == 1  # and the slot brought level
    assert not store.reserve(off, 2)
    assert store.reserve(off, 1)
    assert not store.reserve(off, 1)
    assert store.get_offer(off)["remaining"] == 0
    assert found(store, need()) == []


def test_a_slot_behind_its_offer_is_skipped_and_brought_level(store):
    off = offer(store, org(store)["id"], capacity=3, regions=("riga",))
    held = store.get_offer(off)
    # the offer moved to kurzeme and was withdrawn, but its slots were never rewritten
    store.db.offers.replace_one(
        {"_id": off},
        {**held, "regions": ["kurzeme"], "status": "withdrawn", VERSION: held[VERSION] + 1},
    )
    [described] = store.candidate_slots(need(), TODAY)  # the slot still says riga, active
    assert store.offer_if_candidate(described, need(), TODAY) is None
    assert found(store, need()) == []
    assert slots(store, off)["kurzeme"]["free"] == 0
    assert "riga" not in slots(store, off)


def test_a_slot_whose_offer_matching_no_longer_holds_goes(store):
    off = offer(store, org(store)["id"], capacity=3)
    [described] = store.candidate_slots(need(), TODAY)
    store.db.offers.delete_one({"_id": off})
    assert store.offer_if_candidate(described, need(), TODAY) is None
    assert store.db.offer_slots.count_documents({"offer_id": off}) == 0


def test_a_slot_describes_its_offer_as_the_rules_and_the_score_read_it(store):
    """Ranking reads slots, not offers: a slot carries every field the rules and the
    score look at, including all the offer's regions (an exact region scores higher)."""
    off = offer(store, org(store)["id"], capacity=7, regions=("riga", "nationwide"))
    n = need(languages=("lv",))
    [described] = store.candidate_slots(n, TODAY)
    held = store.get_offer(off)
    today = date.fromisoformat(TODAY)
    by_slot, by_offer = rules.score(described, n, 3, {}), rules.score(held, n, 3, {})
    assert (by_slot.score, by_slot.breakdown) == (by_offer.score, by_offer.breakdown)
    assert by_slot.breakdown["region"] == 1.0
    assert rules.is_candidate(described, n, today)


def test_start_up_rewrites_slots_written_before_they_carried_the_offers_regions(store):
    off = offer(store, org(store)["id"], capacity=3, regions=("riga", "nationwide"))
    store.db.offer_slots.update_many({"offer_id": off}, {"$unset": {"regions": ""}})
    store.ensure_indexes()  # a worker of the new version starting
    assert {s["region"]: s["regions"] for s in slots(store, off).values()} == {
        "riga": ["riga", "nationwide"],
        "nationwide": ["riga", "nationwide"],
    }
    assert found(store, need()) == [off]


def test_start_up_builds_slots_for_offers_stored_before_slots_existed(store):
    o = org(store)["id"]
    old = with_open_ends(
        {
            "_id": uid("off"),
            "organisation_id": o,
            "domain": "health",
            "regions": ["riga", "nationwide"],
            "languages": ["lv"],
            "capacity": 4,
            "remaining": 4,
            "status": "active",
            "org_status": "verified",
            VERSION: 3,
        }
    )
    store.db.offers.insert_one(old)
    behind = offer(store, o, capacity=2)
    assert store.reserve(behind, 2)
    # released, but the worker died before it rewrote the slot: the slot still says full
    store.db.offers.update_one({"_id": behind}, {"$inc": {"remaining": 2, VERSION: 1}})
    orphan = {**slots_of(old)[f"{old['_id']}|riga"], "_id": "gone|riga", "offer_id": "gone"}
    store.db.offer_slots.insert_one({**orphan, "free": 0})
    assert found(store, need()) == []  # neither is visible

    store.ensure_indexes()  # a worker starting

    assert set(slots(store, old["_id"])) == {"riga", "nationwide"}
    assert slots(store, behind)["riga"]["free"] == 2
    assert store.db.offer_slots.count_documents({"offer_id": "gone"}) == 0
    assert found(store, need()) == [old["_id"], behind]
    store.ensure_indexes()  # and again: nothing to do, nothing doubled
    assert store.db.offer_slots.count_documents({}) == 3


def test_answer_records_are_counted_as_matches_move(store):
    store.count_asked("org_a", "2026-02-01")  # outside a window starting 2026-02-15
    store.count_asked("org_a", "2026-02-20")
    store.count_asked("org_a", "2026-02-20")
    accepted = {"organisation_id": "org_a", "status": "accepted"}
    store.count_outcome(
        {**accepted, "created_at": "2026-02-20T10:00:00Z", "answered_at": "2026-02-20T16:00:00Z"}
    )
    store.count_outcome({"organisation_id": "org_a", "status": "expired", "created_at": "x"})
    store.count_outcome({"organisation_id": "org_a", "status": "cancelled", "created_at": "x"})
    stats = store.organisation_stats({"org_a", "org_unknown"}, "2026-02-15")
    assert stats == {
        "org_a": {
            "asked": 3,
            "accepted": 1,
            "declined": 0,
            "expired": 1,
            "recent": 2,
            "answer_hours": 6.0,
        }
    }  # an organisation never asked has no record: it scores as a newcomer


def test_answer_records_are_built_from_the_matches_of_an_older_version(store):
    history = [
        ("accepted", "2026-02-20T10:00:00Z", "2026-02-20T12:00:00Z"),
        ("fulfilled", "2026-02-21T10:00:00Z", "2026-02-21T14:00:00Z"),
        ("declined", "2026-01-05T10:00:00Z", "2026-01-05T10:30:00Z"),
        ("proposed", "2026-02-22T10:00:00Z", None),
    ]
    for n, (status, created, answered) in enumerate(history):
        match = {"_id": f"mat_{n}", "organisation_id": "org_old", "status": status}
        match.update(created_at=created, **({"answered_at": answered} if answered else {}))
        store.db.matches.insert_one(match)
    store.db.org_stats.delete_many({})
    store.ensure_indexes()  # what a worker of the new version does when it starts
    [stats] = store.organisation_stats({"org_old"}, "2026-02-01").values()
    assert stats["asked"] == 4 and stats["accepted"] == 2 and stats["declined"] == 1
    assert stats["recent"] == 3 and stats["answer_hours"] == (2 + 4 + 0.5) / 3
    store.ensure_indexes()  # a second start counts nothing twice
    assert store.organisation_stats({"org_old"}, "2026-02-01")["org_old"] == stats


def test_organisations_already_asked_do_not_fill_the_pool(store):
    asked, fresh = org(store), org(store)
    for _ in range(3):
        offer(store, asked["id"], capacity=50)  # the freest: they would fill a pool of 2
    small = offer(store, fresh["id"], capacity=1)
    need = {"domain": "health", "region": "riga", "languages": ["lv"], "quantity": 1}
    found = store.candidate_slots(need, TODAY, pool=2, exclude_orgs={asked["id"]})
    assert [o["_id"] for o in found] == [small]


def test_an_upgrade_drops_the_index_the_old_candidate_query_used(store):
    keys = [(k, 1) for k in ("domain", "status", "org_status", "regions", "remaining")]
    store.db.offers.create_index(keys)
    store.ensure_indexes()
    assert "domain_1_status_1_org_status_1_regions_1_remaining_1" not in (
        store.db.offers.index_information()
    )
    store.ensure_indexes()  # and a second start does not trip over its absence


def test_a_claim_a_dead_worker_left_is_taken_over_after_a_minute(store):
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert store.claim_ask("need_1", "org_1", t0)
    assert not store.claim_ask("need_1", "org_1", t0 + timedelta(seconds=30))  # still live
    assert store.claim_ask("need_1", "org_1", t0 + timedelta(seconds=61))  # nobody behind it
    store.db.matches.insert_one(
        {"_id": "mat_1", "need_id": "need_1", "organisation_id": "org_1", "status": "proposed"}
    )
    assert not store.claim_ask("need_1", "org_1", t0 + timedelta(hours=1))  # a match stands
    store.release_ask("need_1", "org_1")
    assert store.claim_ask("need_1", "org_1", t0 + timedelta(hours=1))


def test_a_round_takes_what_is_left_when_another_took_part_of_an_offer(store):
    off = offer(store, org(store)["id"], capacity=5)
    seen = store.get_offer(off)  # this round read 5 free
    assert store.reserve(off, 4)  # another worker took 4 meanwhile
    quantity, after = store.reserve_up_to(seen, need(), TODAY, 3)
    assert quantity == 1  # the one left, not nothing
    assert after["remaining"] == store.get_offer(off)["remaining"] == 0
    assert store.reserve_up_to(seen, need(), TODAY, 3) == (0, None)


# -- the needs waiting for capacity, in priority order -------------------------------


def waiting_need(store, region="riga", urgency="normal", quantity=1, need_id=None):
    event = {
        "id": need_id or uid("need"),
        "domain": "health",
        "title": "t",
        "region": region,
        "languages": [],
        "quantity": quantity,
        "urgency": urgency,
        "status": "open",
        "revision": 1,
    }
    assert store.add_need(event)
    return event["id"]


def queued(store, *regions):
    return [n["_id"] for n in store.waiting_in([f"health|{r}" for r in regions], page=2)]


def test_a_need_leaves_its_queue_when_covered_and_comes_back_when_given_back(store):
    whole, part = waiting_need(store), waiting_need(store, quantity=3)
    assert set(queued(store, "riga")) == {whole, part}
    assert store.cover(whole, 1, 1)
    assert store.cover(part, 2, 3)  # a part: still waiting for the third
    assert store.db.needs.find_one({"_id": whole})["queue"] is None  # in the same write
    assert queued(store, "riga") == [part]
    store.give_back(
        {
            "_id": "mat_1",
            "need_id": whole,
            "offer_id": "off_x",
            "organisation_id": "o",
            "quantity": 1,
        }
    )
    assert set(queued(store, "riga")) == {whole, part}
    held = store.get_need(part)
    store.replace("needs", {**held, "status": "cancelled"})
    assert queued(store, "riga") == [whole]


def test_waiting_needs_are_read_most_urgent_then_oldest_across_regions(store):
    ids = iter(f"need_{n:04d}{uuid.uuid4().hex[:8]}" for n in range(20))  # oldest first
    old_low = waiting_need(store, "riga", "low", need_id=next(ids))
    old_normal = waiting_need(store, "kurzeme", need_id=next(ids))
    high = waiting_need(store, "riga", "high", need_id=next(ids))
    normal = [waiting_need(store, "riga", need_id=next(ids)) for _ in range(3)]
    critical = waiting_need(store, "kurzeme", "critical", need_id=next(ids))
    waiting_need(store, "latgale", "critical", need_id=next(ids))  # another queue
    assert queued(store, "riga", "kurzeme") == [critical, high, old_normal, *normal, old_low]
    # filled by a cover that could not tell (another cover came between its two tries):
    # the entry is passed over and cleared, never handed out
    store.db.needs.update_one({"_id": high}, {"$set": {"covered": 1}})
    assert queued(store, "riga") == [*normal, old_low]
    assert store.db.needs.find_one({"_id": high})["queue"] is None


def test_start_up_queues_the_needs_stored_before_the_queues(store):
    need_id = waiting_need(store, "latgale", "high")
    store.db.needs.update_one({"_id": need_id}, {"$unset": {"queue": "", "queue_rank": ""}})
    assert queued(store, "latgale") == []
    store.ensure_indexes()  # a worker of the new version starting
    assert queued(store, "latgale") == [need_id]
    assert store.db.needs.find_one({"_id": need_id})["queue_rank"].startswith("1|")
