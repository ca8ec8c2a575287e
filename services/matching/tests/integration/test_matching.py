"""matching over real RabbitMQ and NX-27017, driven by the events it consumes."""

import itertools
import time
import uuid
from types import SimpleNamespace

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, worker_factory
from pymongo.errors import AutoReconnect

from matching.rules import DEFAULT_RESPOND_HOURS
from matching.service import MatchingService
from matching.storage import MatchingStore
from tilts_contracts.clock import utcnow
from tilts_contracts.events import envelope

pytestmark = pytest.mark.integration


def uid(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


AGES = itertools.count()


def aged_id():
    """A need id sorting after every one made before it, as pledges' ids do."""
    return f"need_{next(AGES):08d}{uuid.uuid4().hex[:12]}"


def offer_payload(
    org_id, capacity=3, regions=("riga",), languages=("lv",), domain="health", **fields
):
    """An offer as pledges sends it (open-ended unless `fields` say otherwise)."""
    return {
        "id": uid("off"),
        "organisation_id": org_id,
        "domain": domain,
        "title": "Palīdzība",
        "capacity": capacity,
        "remaining": capacity,
        "regions": list(regions),
        "languages": list(languages),
        "status": "active",
        "public": True,
        "revision": 1,
        "available_from": None,
        "available_until": None,
        **fields,
    }


def need_payload(
    quantity=1, region="riga", languages=(), urgency="normal", domain="health", **fields
):
    """A need as pledges sends it."""
    return {
        "id": uid("need"),
        "domain": domain,
        "title": "Vajadzība",
        "region": region,
        "languages": list(languages),
        "quantity": quantity,
        "urgency": urgency,
        "status": "open",
        "revision": 1,
        **fields,
    }


@pytest.fixture
def matching(container_factory, service_config):
    container = container_factory(MatchingService, {**service_config, "TEST_CLOCK": True})
    container.start()
    return container


class World:
    """Publishes what the registry and pledges would, and reads what matching decided
    once the capacity an event freed has been offered (`settle`)."""

    def __init__(self, container, dispatch_event, db):
        self.container, self.dispatch, self.db = container, dispatch_event, db

    def send(self, source, env, handler):
        with entrypoint_waiter(self.container, handler, timeout=15):
            self.dispatch(source, env)
        self.settle()
        return env

    def settle(self):
        """Wait for matching's timer to offer the capacity noted freed (see `freed`)."""
        deadline = time.monotonic() + 15
        while self.db.freed_capacity.count_documents({}):
            assert time.monotonic() < deadline, "freed capacity not offered in 15 s"
            time.sleep(0.05)

    def org(self, name="Org", status="verified", revision=2, org_id=None):
        org = {
            "id": org_id or uid("org"),
            "name": name,
            "email": f"{uuid.uuid4().hex[:8]}@ex.org",
            "preferred_language": "lv",
            "status": status,
            "revision": revision,
        }
        event = "organisation_verified" if status == "verified" else f"organisation_{status}"
        self.send("registry", envelope(event, org), f"on_{event}")
        return org

    def offer(
        self, org, capacity=3, regions=("riga",), languages=("lv",), domain="health", **fields
    ):
        offer = offer_payload(org["id"], capacity, regions, languages, domain, **fields)
        self.send("pledges", envelope("offer_pledged", offer), "on_offer_pledged")
        return offer

    def need(self, quantity=1, region="riga", languages=(), urgency="normal", domain="health"):
        need = need_payload(quantity, region, languages, urgency, domain)
        self.send("pledges", envelope("need_posted", need), "on_need_posted")
        return need

    def cancel(self, need):
        cancelled = {**need, "status": "cancelled", "revision": need["revision"] + 1}
        self.send("pledges", envelope("need_cancelled", cancelled), "on_need_cancelled")
        return cancelled

    def edit(self, need, **changes):
        edited = {**need, **changes, "revision": need["revision"] + 1}
        self.send("pledges", envelope("need_updated", edited), "on_need_updated")
        return edited

    def matches(self, need, status=None):
        filters = {"need_id": need["id"], **({"status": status} if status else {})}
        with entrypoint_hook(self.container, "list_matches") as listing:
            return listing(filters, 100, None)["items"]

    def call(self, method, *args):
        with entrypoint_hook(self.container, method) as fn:
            answer = fn(*args)
        self.settle()
        return answer


@pytest.fixture
def world(matching, dispatch_event, mongo_uri):
    from pymongo import MongoClient

    from tilts_contracts.settings import database_name

    with MongoClient(mongo_uri) as client:
        yield World(matching, dispatch_event, client[database_name("matching")])


def test_the_closest_offer_in_the_right_language_is_proposed_first(world):
    near, far, mute = world.org("Near"), world.org("Far"), world.org("Mute")
    world.offer(far, regions=["nationwide"], languages=["ru"])
    near_offer = world.offer(near, regions=["riga"], languages=["lv", "ru"])
    world.offer(mute, regions=["riga"], languages=["lv"])  # no Russian: not a candidate
    need = world.need(languages=["ru"])
    [match] = world.matches(need)
    assert match["offer_id"] == near_offer["id"]
    assert match["score_breakdown"]["region"] == 1.0
    assert match["score_breakdown"]["language"] == 1.0


def test_only_offers_available_on_the_day_are_proposed(world):
    org, later, ended = world.org("Now"), world.org("Later"), world.org("Ended")
    world.offer(later, available_from="2099-01-01")
    world.offer(ended, available_until="2000-01-01")
    window = world.offer(org, available_from="2000-01-01", available_until="2099-12-31")
    need = world.need()
    assert [m["offer_id"] for m in world.matches(need)] == [window["id"]]


def test_a_need_is_split_across_offers(world):
    a, b = world.org("A"), world.org("B")
    world.offer(a, capacity=3)
    world.offer(b, capacity=2)
    need = world.need(quantity=5)
    assert sorted(m["quantity"] for m in world.matches(need)) == [2, 3]


def test_a_decline_goes_to_the_next_organisation_never_the_same_one_twice(world):
    first, second = world.org("First"), world.org("Second")
    world.offer(first, capacity=5)
    world.offer(first, capacity=4)  # a second offer of the same organisation
    other = world.offer(second, capacity=1, regions=["nationwide"])  # scores lower
    need = world.need(quantity=1)
    [proposed] = world.matches(need)
    assert proposed["organisation_id"] == first["id"]
    declined = world.call("decline_match", proposed["id"], first["id"])
    assert declined["status"] == "declined"
    live = world.matches(need, "proposed")
    assert [m["offer_id"] for m in live] == [other["id"]]
    with pytest.raises(Exception) as again:
        world.call("accept_match", proposed["id"], first["id"])
    assert "declined" in str(again.value)


def test_an_unanswered_proposal_expires_and_goes_to_the_next_candidate(world):
    slow, quick = world.org("Slow"), world.org("Quick")
    world.offer(slow, capacity=9)
    world.offer(quick, capacity=1, regions=["nationwide"])
    need = world.need(quantity=1, urgency="critical")
    [first] = world.matches(need)
    assert first["organisation_id"] == slow["id"]
    world.call("shift_clock", 5 * 3600)  # past the 4-hour deadline for critical needs
    deadline = time.monotonic() + 20
    # the expiry is stored before the next candidate is asked: wait for both
    while time.monotonic() < deadline and not (
        world.matches(need, "expired") and world.matches(need, "proposed")
    ):
        time.sleep(0.5)
    assert [m["id"] for m in world.matches(need, "expired")] == [first["id"]]
    assert [m["organisation_id"] for m in world.matches(need, "proposed")] == [quick["id"]]


def test_no_candidate_raises_a_gap_and_a_later_offer_fills_it(
    world, container_factory, service_config
):
    gaps = []

    class GapWatcher:
        name = "gap_watcher"

        @event_handler("matching", "need_unmatched")
        def on_gap(self, env):
            gaps.append(env["payload"])

    watcher = container_factory(GapWatcher, service_config)
    watcher.start()
    with entrypoint_waiter(watcher, "on_gap", timeout=15):
        need = world.need(quantity=2, domain="children", region="latgale")
    assert gaps[0]["need"]["id"] == need["id"] and gaps[0]["covered"] == 0
    assert world.matches(need) == []

    helper = world.org("Latgales bērni")
    world.offer(helper, domain="children", regions=["latgale"], capacity=2)
    assert [m["quantity"] for m in world.matches(need, "proposed")] == [2]


def test_suspending_an_organisation_moves_its_proposals_elsewhere(world):
    bad, good = world.org("Suspended"), world.org("Good")
    world.offer(bad, capacity=5)
    good_offer = world.offer(good, capacity=1, regions=["nationwide"])
    need = world.need(quantity=1)
    [first] = world.matches(need)
    assert first["organisation_id"] == bad["id"]
    world.org("Suspended", status="suspended", revision=3, org_id=bad["id"])
    assert [m["status"] for m in world.matches(need) if m["id"] == first["id"]] == ["cancelled"]
    assert [m["offer_id"] for m in world.matches(need, "proposed")] == [good_offer["id"]]


def test_redelivered_events_change_nothing(world):
    org = world.org("Once")
    offer = offer_payload(org["id"], capacity=2, languages=())
    pledged = envelope("offer_pledged", offer)
    world.send("pledges", pledged, "on_offer_pledged")
    need = need_payload()
    posted = envelope("need_posted", need)
    world.send("pledges", posted, "on_need_posted")
    world.send("pledges", posted, "on_need_posted")
    world.send("pledges", pledged, "on_offer_pledged")
    assert len(world.matches(need)) == 1
    second = world.need(quantity=1)
    assert [m["quantity"] for m in world.matches(second)] == [1]  # 2 - 1 left, not reset to 2


def test_a_malformed_event_is_parked_with_the_reason(world):
    broken = envelope(
        "need_posted",
        {
            "id": uid("need"),
            "domain": "health",
            "title": "z",
            "region": "riga",
            "quantity": 1,
            "status": "open",
        },
    )
    broken["schema_version"] = 7
    world.send("pledges", broken, "on_need_posted")
    parked = world.call("parked_events", 10)
    assert parked[0]["event"]["event_id"] == broken["event_id"]
    assert "schema_version" in parked[0]["reason"]


def test_cancelling_a_need_releases_its_accepted_match_too(world):
    org = world.org("Committed")
    world.offer(org, capacity=2)
    need = world.need(quantity=2)
    [match] = world.matches(need)
    world.call("accept_match", match["id"], org["id"])
    world.cancel(need)
    assert [m["status"] for m in world.matches(need)] == ["cancelled"]
    with pytest.raises(Exception) as refused:
        world.call("fulfil_match", match["id"], org["id"])
    assert "cancelled" in str(refused.value)
    again = world.need(quantity=2)  # the whole capacity is free again
    assert [m["quantity"] for m in world.matches(again, "proposed")] == [2]


def test_a_need_edited_away_from_an_offer_is_proposed_elsewhere(world):
    riga, kurzeme = world.org("Rīga"), world.org("Kurzeme")
    riga_offer = world.offer(riga, capacity=1, regions=["riga"], languages=["lv"])
    kurzeme_offer = world.offer(kurzeme, capacity=1, regions=["kurzeme"], languages=["lv"])
    need = world.need(region="riga")
    assert [m["offer_id"] for m in world.matches(need)] == [riga_offer["id"]]
    world.edit(need, region="kurzeme")
    statuses = {m["offer_id"]: m["status"] for m in world.matches(need)}
    assert statuses == {riga_offer["id"]: "cancelled", kurzeme_offer["id"]: "proposed"}
    back = world.need(region="riga")  # the Riga offer's capacity was given back
    assert [m["offer_id"] for m in world.matches(back)] == [riga_offer["id"]]


class Direct:
    """The service's own handlers called in this process on a store of the test's choice
    (worker_factory): for interleavings no running container can be made to hit."""

    def __init__(self, store_class, mongo_uri):
        from pymongo import MongoClient

        from tilts_contracts.settings import database_name

        self.store = store_class(MongoClient(mongo_uri)[database_name("matching")])
        self.store.ensure_indexes()
        clock = SimpleNamespace(respond_hours=DEFAULT_RESPOND_HOURS)
        self.service = worker_factory(
            MatchingService, store=self.store, clock=clock, clock_movable=False
        )

    def org(self, name):
        org = {"id": uid("org"), "name": name, "status": "verified", "revision": 2}
        self.service.on_organisation_verified(envelope("organisation_verified", org))
        self.settle()
        return org

    def offer(self, org, capacity=1, regions=("riga",)):
        offer = offer_payload(org["id"], capacity, regions, languages=())
        self.service.on_offer_pledged(envelope("offer_pledged", offer))
        self.settle()
        return offer

    def need(self, quantity=1, **fields):
        need = need_payload(quantity, **fields)
        self.service.on_need_posted(envelope("need_posted", need))
        self.settle()
        return need

    def cancel(self, need):
        cancelled = {**need, "status": "cancelled", "revision": need["revision"] + 1}
        self.service.on_need_cancelled(envelope("need_cancelled", cancelled))
        self.settle()

    def settle(self):
        """What matching's timer would do next: offer the capacity noted freed."""
        self.service.offer_freed_capacity()

    def matches(self, need):
        return list(self.store.db.matches.find({"need_id": need["id"]}))


class CancelledMeanwhile(MatchingStore):
    """Matching's real store, with a need cancellation landing right after the need is
    covered and before its match is stored: the window no handler can see into."""

    def cover(self, need_id, quantity, of):
        covered = super().cover(need_id, quantity, of)
        need = self.get_need(need_id)
        self.replace("needs", {**need, "status": "cancelled"})  # as on_need_cancelled does
        assert self.open_matches({"need_id": need_id}) == []  # so its sweep finds nothing
        return covered


def test_a_need_cancelled_while_it_is_being_matched_keeps_no_proposal(mongo_uri):
    direct = Direct(CancelledMeanwhile, mongo_uri)
    offer = direct.offer(direct.org("Racing"), capacity=3)
    need = direct.need(quantity=2)
    [match] = direct.matches(need)
    assert match["status"] == "cancelled"
    published = [call.args[0] for call in direct.service.dispatch.call_args_list]
    assert published == ["match_proposed", "match_cancelled"]  # the organisation is told
    assert direct.store.db.offers.find_one({"_id": offer["id"]})["remaining"] == 3
    assert direct.store.db.parked_events.count_documents({}) == 0


def test_only_a_forced_capacity_cut_takes_back_a_request_already_sent(world):
    org = world.org("Cutting")
    offer = world.offer(org, capacity=3)
    need = world.need(quantity=2)
    [match] = world.matches(need)

    def cut(revision, forced):
        edited = {**offer, "capacity": 1, "revision": revision, "forced": forced}
        world.send("pledges", envelope("offer_updated", edited), "on_offer_updated")

    cut(2, forced=False)  # crossed the proposal on its way: the request stands
    assert [m["status"] for m in world.matches(need)] == ["proposed"]
    cut(3, forced=True)  # the request for 2 is taken back; it is asked for the 1 it has
    statuses = sorted((m["status"], m["quantity"]) for m in world.matches(need))
    assert statuses == [("cancelled", 2), ("proposed", 1)]


def test_a_paused_offer_is_proposed_nothing_and_its_resume_meets_the_waiting_need(world):
    org = world.org("Pausing")
    offer = world.offer(org, capacity=2)

    def send(status, revision):
        edited = {**offer, "status": status, "revision": revision, "forced": False}
        world.send("pledges", envelope("offer_updated", edited), "on_offer_updated")

    send("paused", 2)
    need = world.need(quantity=1)
    assert world.matches(need) == []
    send("active", 3)
    assert [m["offer_id"] for m in world.matches(need, "proposed")] == [offer["id"]]


def test_an_erased_organisation_is_asked_nothing_more(world):
    gone, other = world.org("Erased"), world.org("Other")
    world.offer(gone, capacity=5)
    elsewhere = world.offer(other, capacity=1, regions=["nationwide"])
    need = world.need(quantity=1)
    [first] = world.matches(need)
    assert first["organisation_id"] == gone["id"]
    erased = {
        "id": gone["id"],
        "name": "anonīma organizācija",
        "email": None,
        "status": "verified",  # erasure keeps the status; the flag says it is gone
        "erased": True,
        "revision": 3,
    }
    world.send("registry", envelope("organisation_updated", erased), "on_organisation_updated")
    assert [m["status"] for m in world.matches(need) if m["id"] == first["id"]] == ["cancelled"]
    assert [m["offer_id"] for m in world.matches(need, "proposed")] == [elsewhere["id"]]
    later = world.need(quantity=1)
    assert all(m["organisation_id"] != gone["id"] for m in world.matches(later))


def test_one_organisation_gets_one_request_per_need_however_many_offers_it_has(world):
    big, other = world.org("Two offers"), world.org("Other")
    world.offer(big, capacity=2)
    world.offer(big, capacity=2)
    world.offer(other, capacity=2, regions=["nationwide"])
    need = world.need(quantity=4)
    proposals = world.matches(need, "proposed")
    assert sorted(m["organisation_id"] for m in proposals) == sorted([big["id"], other["id"]])


def test_a_forced_cut_does_not_lock_the_organisation_out_of_the_need(world):
    org = world.org("Cut")
    offer = world.offer(org, capacity=5)
    need = world.need(quantity=5)
    [first] = world.matches(need)
    cut = {**offer, "capacity": 3, "revision": 2, "forced": True}
    world.send("pledges", envelope("offer_updated", cut), "on_offer_updated")
    statuses = sorted((m["status"], m["quantity"]) for m in world.matches(need))
    assert statuses == [("cancelled", 5), ("proposed", 3)]  # asked again for what it has


def test_events_that_overtake_the_post_are_kept_not_parked(world):
    org = world.org("Overtaken")
    offer = offer_payload(org["id"], capacity=2, languages=(), status="withdrawn", revision=2)
    world.send("pledges", envelope("offer_withdrawn", offer), "on_offer_withdrawn")
    pledged = {**offer, "status": "active", "revision": 1}
    world.send("pledges", envelope("offer_pledged", pledged), "on_offer_pledged")
    need = need_payload(status="cancelled", revision=2)
    world.send("pledges", envelope("need_cancelled", need), "on_need_cancelled")
    posted = {**need, "status": "open", "revision": 1}
    world.send("pledges", envelope("need_posted", posted), "on_need_posted")
    assert world.matches(posted) == []  # the withdrawn offer and the cancelled need stay so
    assert world.call("parked_events", 10) == []
    live = world.need(quantity=1)  # and the withdrawn offer is proposed to nobody
    assert world.matches(live) == []


def test_an_organisation_that_declined_is_asked_after_one_that_did_not(world):
    first, second = world.org("First"), world.org("Second")
    offers = {world.offer(first)["id"]: first, world.offer(second)["id"]: second}
    need = world.need()
    [asked] = world.matches(need)  # equal offers: the tie goes to the lower offer id
    said_no = offers[asked["offer_id"]]
    world.call("decline_match", asked["id"], said_no["id"])
    later = world.need()
    [proposal] = world.matches(later)
    assert proposal["organisation_id"] != said_no["id"]
    assert proposal["score_breakdown"]["responsiveness"] == 0.5  # a newcomer's


def test_an_erased_organisation_stays_erased_whatever_status_a_later_event_carries(world):
    gone = world.org("Erased")
    world.offer(gone, capacity=5)
    erased = {
        "id": gone["id"],
        "name": "anonīma organizācija",
        "email": None,
        "status": "verified",
        "erased": True,
        "revision": 3,
    }
    world.send("registry", envelope("organisation_updated", erased), "on_organisation_updated")
    verified_again = {**erased, "revision": 5}  # e.g. suspended, then verified by mistake
    world.send(
        "registry", envelope("organisation_verified", verified_again), "on_organisation_verified"
    )
    need = world.need(quantity=1)
    assert world.matches(need) == []


class StaleRead(MatchingStore):
    """Matching's real store, whose list of a need's matches is read before a round
    running beside this one stored its proposal (the read every round starts with)."""

    stale = False

    def matches_of_need(self, need_id):
        return [] if self.stale else super().matches_of_need(need_id)


def test_two_rounds_at_once_never_ask_one_organisation_twice_for_a_need(mongo_uri):
    direct = Direct(StaleRead, mongo_uri)
    org = direct.org("Two offers")
    direct.offer(org)
    direct.offer(org)
    need = direct.need(quantity=2)  # asks it for 1, from one offer
    direct.store.stale = True
    direct.service._match_need(need["id"])  # a second round that did not see that proposal
    live = [m for m in direct.matches(need) if m["status"] == "proposed"]
    assert [m["organisation_id"] for m in live] == [org["id"]]  # one request, one email


class SuspendedMeanwhile(MatchingStore):
    """Matching's real store, with the organisation of the first offer reserved being
    suspended right after the reservation, before its proposal is stored."""

    victim = None

    def cover(self, need_id, quantity, of):
        covered = super().cover(need_id, quantity, of)
        if self.victim:
            org = {**self.organisation(self.victim), "id": self.victim}
            self.record_organisation({**org, "status": "suspended", "revision": 9})
            self.victim = None
        return covered


def test_an_organisation_suspended_while_it_is_being_asked_is_not_left_asked(mongo_uri):
    direct = Direct(SuspendedMeanwhile, mongo_uri)
    suspended, other = direct.org("Suspended"), direct.org("Other")
    direct.offer(suspended)
    direct.offer(other, regions=["nationwide"])
    direct.store.victim = suspended["id"]  # ranked first: the exact region
    need = direct.need()
    by_org = {m["organisation_id"]: m["status"] for m in direct.matches(need)}
    assert by_org == {suspended["id"]: "cancelled", other["id"]: "proposed"}  # asked elsewhere


def test_a_need_whose_matching_died_midway_is_matched_when_it_comes_back(mongo_uri):
    direct = Direct(MatchingStore, mongo_uri)
    org = direct.org("Waiting")
    direct.offer(org, capacity=5)
    need = need_payload(quantity=2)
    # what a worker killed mid-round leaves: the need stored, the organisation claimed,
    # the need counted as covered, and no proposal
    direct.store.add_need(need)
    assert direct.store.claim_ask(need["id"], org["id"], utcnow())
    assert direct.store.cover(need["id"], 2, 2)
    direct.service.on_need_posted(envelope("need_posted", need))  # RabbitMQ redelivers it
    assert [(m["organisation_id"], m["quantity"], m["status"]) for m in direct.matches(need)] == [
        (org["id"], 2, "proposed")
    ]


class PoolOfOne(MatchingStore):
    """Matching's real store, ranking one candidate a round: so a round whose only slot
    is behind its offer has nothing else to fall back on."""

    def candidate_slots(self, need, today, pool=1, exclude_orgs=frozenset()):
        return super().candidate_slots(need, today, 1, exclude_orgs)


@pytest.mark.parametrize("store_class", [MatchingStore, PoolOfOne])
def test_a_slot_behind_its_offer_costs_no_request_and_no_need(mongo_uri, store_class):
    """Rounds rank what the slots say; the offer is read before anyone is asked, so a slot
    a dead worker left behind (here: its offer withdrawn) asks nobody, and the round looks
    again past it instead of reporting a gap."""
    direct = Direct(store_class, mongo_uri)
    gone = direct.offer(direct.org("Withdrawn meanwhile"), capacity=9)  # the closer: first
    there = direct.offer(direct.org("Still there"), capacity=1, regions=("nationwide",))
    held = direct.store.get_offer(gone["id"])
    direct.store.db.offers.replace_one(  # the offer's write landed, its slot's did not
        {"_id": gone["id"]}, {**held, "status": "withdrawn", "_version": held["_version"] + 1}
    )
    need = direct.need()
    assert [(m["offer_id"], m["status"]) for m in direct.matches(need)] == [
        (there["id"], "proposed")
    ]
    assert direct.store.db.offer_slots.find_one({"offer_id": gone["id"]})["free"] == 0
    assert direct.store.get_need(need["id"])["gap_reported"] == -1  # no gap was raised


def test_capacity_given_back_goes_to_the_domains_other_waiting_needs(world):
    """One place, two needs: the second waits as a gap; when the first need's request is
    declined, or the first need is cancelled, the place goes to the need that waited."""
    only = world.org("Only")
    world.offer(only, capacity=1)
    first, waiting = world.need(), world.need()
    [asked] = world.matches(first)
    assert world.matches(waiting) == []
    world.cancel(first)
    [now_asked] = world.matches(waiting)
    assert (now_asked["organisation_id"], now_asked["status"]) == (only["id"], "proposed")

    other = world.org("Other")
    world.offer(other, capacity=1)
    third = world.need()  # takes Other's place
    [third_asked] = world.matches(third)
    assert third_asked["organisation_id"] == other["id"]
    world.call("decline_match", now_asked["id"], only["id"])  # Only says no to `waiting`
    # Only's place is free again; `waiting` may not ask Only twice and Other is taken,
    # so the place stays free until a need it can serve comes: the next one gets it
    fourth = world.need()
    assert [m["organisation_id"] for m in world.matches(fourth)] == [only["id"]]
    assert [m["status"] for m in world.matches(first)] == ["cancelled"]
    assert asked["organisation_id"] == only["id"]


class FailsOnce(MatchingStore):
    """Matching's real store whose first read of the waiting needs fails, as a database
    that drops the connection while freed capacity is being offered would make it."""

    failed = False

    def waiting_in(self, keys, *args):
        if not FailsOnce.failed:
            FailsOnce.failed = True
            raise AutoReconnect("dropped")
        return super().waiting_in(keys, *args)


def test_freed_capacity_a_failed_pass_could_not_offer_is_offered_later(mongo_uri):
    direct = Direct(MatchingStore, mongo_uri)
    need = direct.need()  # nobody can help yet: a gap
    flaky = Direct(FailsOnce, mongo_uri)
    org = flaky.org("Late")
    offer = offer_payload(org["id"], capacity=2, languages=())
    FailsOnce.failed = False
    flaky.service.on_offer_pledged(envelope("offer_pledged", offer))  # noted, acknowledged
    with pytest.raises(AutoReconnect):  # the timer's pass fails and is logged
        flaky.settle()
    assert direct.matches(need) == []
    flaky.settle()  # the next pass: still leased by the failed one
    assert direct.matches(need) == []
    flaky.store.db.freed_capacity.update_many({}, {"$set": {"lease": 0}})  # a minute on
    flaky.settle()
    assert [m["offer_id"] for m in direct.matches(need)] == [offer["id"]]


def test_capacity_freed_again_while_it_is_offered_is_offered_again(mongo_uri):
    """A note is taken by one worker at a time, and one freed again meanwhile stays."""
    direct = Direct(MatchingStore, mongo_uri)
    org = direct.org("Again")
    offer = offer_payload(org["id"], capacity=2, languages=())
    direct.service.on_offer_pledged(envelope("offer_pledged", offer))
    [note] = direct.store.freed_notes()
    assert direct.store.lease_freed(note)
    assert not direct.store.lease_freed(note)  # a second worker leaves it alone
    assert direct.store.freed_notes() == []
    direct.store.note_freed([offer["id"]])  # freed again while the first pass works
    direct.store.done_freed(note)
    [again] = direct.store.freed_notes()  # kept, and free to take at once
    assert again["mark"] != note["mark"]
    direct.settle()  # the next pass offers it, and nothing is left
    assert direct.store.db.freed_capacity.count_documents({}) == 0


class DiesAfterTheOffer(MatchingStore):
    """Matching's real store whose worker dies (here: the database drops it) once while
    giving a declined match back, after the offer got its capacity and before the need."""

    died = False

    def release_ask(self, need_id, org_id):
        if not DiesAfterTheOffer.died:
            DiesAfterTheOffer.died = True
            raise AutoReconnect("gone")
        super().release_ask(need_id, org_id)


def test_a_decline_cut_short_midway_is_finished_by_the_sweep_and_goes_on(mongo_uri):
    direct = Direct(DiesAfterTheOffer, mongo_uri)
    first = direct.org("First")
    first_offer = direct.offer(first, capacity=1)
    second_offer = direct.offer(direct.org("Second"), capacity=1, regions=("nationwide",))
    need = direct.need()
    [asked] = direct.matches(need)
    assert asked["offer_id"] == first_offer["id"]
    DiesAfterTheOffer.died = False
    with pytest.raises(AutoReconnect):
        direct.service.decline_match(asked["_id"], first["id"])
    held = direct.store.get_match(asked["_id"])
    assert (held["status"], held.get("settling")) == ("declined", True)  # not yet announced
    assert direct.store.get_need(need["id"])["covered"] == 1  # the need still counts it

    direct.service.expire_overdue()  # too soon: the worker may still be at it
    assert direct.store.get_match(asked["_id"]).get("settling")
    earlier = "2000-01-01T00:00:00Z"
    direct.store.db.matches.update_one({"_id": asked["_id"]}, {"$set": {"updated_at": earlier}})
    direct.service.expire_overdue()
    direct.service.expire_overdue()  # and again: nothing is given back twice

    assert "settling" not in direct.store.get_match(asked["_id"])
    assert direct.store.get_offer(first_offer["id"])["remaining"] == 1  # back once, not twice
    published = [c.args[0] for c in direct.service.dispatch.call_args_list]
    assert published.count("match_declined") == 1
    by_offer = {m["offer_id"]: m["status"] for m in direct.matches(need)}
    assert by_offer == {first_offer["id"]: "declined", second_offer["id"]: "proposed"}
    assert direct.store.get_need(need["id"])["covered"] == 1  # the second one's


class Watched(MatchingStore):
    """Matching's real store, noting which waiting needs a re-match looked at and which
    needs a round ran for (each round reads the need's matches once, first)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.looked_at, self.rounds = [], []

    def waiting_in(self, keys, *args):
        for need in super().waiting_in(keys, *args):
            self.looked_at.append(need["_id"])
            yield need

    def matches_of_need(self, need_id):
        self.rounds.append(need_id)
        return super().matches_of_need(need_id)


def test_freed_capacity_goes_to_the_needs_it_can_serve_most_urgent_first(mongo_uri):
    """An offer re-matches only the needs waiting where it serves, in order of urgency
    and then age, and stops once its capacity is used: the needs it cannot serve (another
    region, a language it does not speak) and those after its last place are never read."""
    direct = Direct(Watched, mongo_uri)

    def waiting(region, urgency="normal", **fields):
        return direct.need(id=aged_id(), region=region, urgency=urgency, **fields)["id"]

    oldest = waiting("latgale")
    critical = waiting("latgale", "critical")
    russian = waiting("latgale", languages=["ru"])
    high = waiting("latgale", "high")
    low = waiting("latgale", "low")
    kurzeme = [waiting("kurzeme") for _ in range(4)]
    riga_critical = waiting("riga", "critical")
    assert direct.store.db.matches.count_documents({}) == 0  # all of them wait: gaps
    org = direct.org("Latgale")
    direct.store.looked_at, direct.store.rounds = [], []

    direct.offer(org, capacity=3, regions=("latgale",))  # speaks no language a need names
    assert direct.store.looked_at == direct.store.rounds == [critical, high, oldest]
    asked = {m["need_id"] for m in direct.store.db.matches.find({"status": "proposed"})}
    assert asked == {critical, high, oldest}

    direct.store.looked_at, direct.store.rounds = [], []
    direct.offer(direct.org("Everywhere"), capacity=2, regions=("nationwide",))
    assert direct.store.looked_at == [riga_critical, russian, kurzeme[0]]  # every region
    assert direct.store.rounds == [riga_critical, kurzeme[0]]  # the Russian one: no round
    assert {m["need_id"] for m in direct.store.db.matches.find({"status": "proposed"})} == (
        asked | {riga_critical, kurzeme[0]}
    )
    assert low not in direct.store.looked_at


def test_a_cancelled_need_gives_its_place_to_the_next_need_waiting_there_alone(mongo_uri):
    """A cancellation costs a round for the need that takes the freed place, not one for
    every need waiting in the working group."""
    direct = Direct(Watched, mongo_uri)
    org = direct.org("Latgale")
    direct.offer(org, capacity=2, regions=("latgale",))
    holding = [direct.need(id=aged_id(), region="latgale") for _ in range(2)]
    latgale = [direct.need(id=aged_id(), region="latgale")["id"] for _ in range(8)]
    for _ in range(5):
        direct.need(id=aged_id(), region="riga")
    assert all(direct.matches(n) for n in holding)
    direct.store.looked_at, direct.store.rounds = [], []

    direct.cancel(holding[0])

    assert direct.store.looked_at == direct.store.rounds == [latgale[0]]  # the oldest
    assert [m["status"] for m in direct.store.db.matches.find({"need_id": latgale[0]})] == [
        "proposed"
    ]
    offer = direct.store.db.offers.find_one({"organisation_id": org["id"]})
    assert offer["remaining"] == 0  # the place went to a waiting need, nothing was left
