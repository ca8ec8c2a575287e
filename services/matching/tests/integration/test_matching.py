"""matching over real RabbitMQ and NX-27017, driven by the events it consumes."""

import time
import uuid

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from matching.service import MatchingService
from tilts_contracts.events import envelope

pytestmark = pytest.mark.integration


def uid(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


@pytest.fixture
def matching(container_factory, service_config):
    container = container_factory(MatchingService, {**service_config, "TEST_CLOCK": True})
    container.start()
    return container


class World:
    """Publishes what the registry and pledges would, and reads what matching decided."""

    def __init__(self, container, dispatch_event):
        self.container, self.dispatch = container, dispatch_event

    def send(self, source, env, handler):
        with entrypoint_waiter(self.container, handler, timeout=15):
            self.dispatch(source, env)
        return env

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
        offer = {
            "id": uid("off"),
            "organisation_id": org["id"],
            "domain": domain,
            "title": "Palīdzība",
            "capacity": capacity,
            "remaining": capacity,
            "regions": list(regions),
            "languages": list(languages),
            "status": "active",
            "public": True,
            "revision": 1,
            "available_from": None,  # as pledges sends an open-ended offer
            "available_until": None,
            **fields,
        }
        self.send("pledges", envelope("offer_pledged", offer), "on_offer_pledged")
        return offer

    def need(self, quantity=1, region="riga", languages=(), urgency="normal", domain="health"):
        need = {
            "id": uid("need"),
            "domain": domain,
            "title": "Vajadzība",
            "region": region,
            "languages": list(languages),
            "quantity": quantity,
            "urgency": urgency,
            "status": "open",
            "revision": 1,
        }
        self.send("pledges", envelope("need_posted", need), "on_need_posted")
        return need

    def matches(self, need, status=None):
        filters = {"need_id": need["id"], **({"status": status} if status else {})}
        with entrypoint_hook(self.container, "list_matches") as listing:
            return listing(filters, 100, None)["items"]

    def call(self, method, *args):
        with entrypoint_hook(self.container, method) as fn:
            return fn(*args)


@pytest.fixture
def world(matching, dispatch_event):
    return World(matching, dispatch_event)


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
    while time.monotonic() < deadline and not world.matches(need, "expired"):
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
    offer = {
        "id": uid("off"),
        "organisation_id": org["id"],
        "domain": "health",
        "title": "x",
        "capacity": 2,
        "remaining": 2,
        "regions": ["riga"],
        "languages": [],
        "status": "active",
        "public": True,
        "revision": 1,
    }
    pledged = envelope("offer_pledged", offer)
    world.send("pledges", pledged, "on_offer_pledged")
    need = {
        "id": uid("need"),
        "domain": "health",
        "title": "y",
        "region": "riga",
        "languages": [],
        "quantity": 1,
        "urgency": "normal",
        "status": "open",
        "revision": 1,
    }
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
