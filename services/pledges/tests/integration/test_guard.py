"""The privacy guard in a running pledges service, over RabbitMQ and NX-27017: a body as
large as the gateway lets through, shaped to make the guard work, is answered at once,
and the service answers other requests meanwhile. (The bounds are generous: the
answers take milliseconds; before, a 5,000-character description of "$" took seconds
and a 1 MiB body hours.)"""

import time

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from pledges.service import PledgesService
from tilts_contracts.errors import Invalid

pytestmark = pytest.mark.integration

MiB = 1 << 20
NEED = {"domain": "social", "title": "Gultas", "region": "riga", "quantity": 1}
OFFER = {
    "organisation_id": "org_0123456789abcdef",
    "domain": "social",
    "title": "Gultas",
    "capacity": 1,
    "regions": ["riga"],
}


def at_most(length: int, unit: str) -> str:
    return (unit * (length // len(unit) + 1))[:length]


# (what is called, the body): each free-text field full of what made the old guard slow,
# at the field's length with a phone number at its end (the guard reads it all, and finds
# it), or at the body cap (refused for its length before anything reads it)
PHONE = " tel. 29123456"
BODIES = [
    ("post_need", {**NEED, "description": at_most(MiB - 200, "$")}),
    ("post_need", {**NEED, "description": at_most(MiB - 200, "2-")}),
    (
        "post_need",
        {
            **NEED,
            "title": at_most(200 - len(PHONE), "$ ") + PHONE,
            "description": at_most(5000 - len(PHONE), "$") + PHONE,
            "case_ref": at_most(40, "2."),
        },
    ),
    ("post_need", {**NEED, "description": at_most(5000, "iela 1") + at_most(MiB - 5300, " ")}),
    ("pledge_offer", {**OFFER, "description": at_most(5000 - len(PHONE), "a.") + PHONE}),
    ("pledge_offer", {**OFFER, "unit": at_most(60 - len(PHONE), "$") + PHONE}),
    ("pledge_offer", {**OFFER, "title": at_most(MiB - 300, "a@")}),
]


@pytest.fixture
def pledges(container_factory, service_config):
    container = container_factory(PledgesService, service_config)
    container.start()
    return container


@pytest.mark.parametrize("method, body", BODIES, ids=lambda b: b if isinstance(b, str) else "")
def test_a_body_at_the_cap_is_answered_at_once_and_others_meanwhile(
    pledges, service_config, method, body
):
    waits: list[float] = []
    done = eventlet.event.Event()

    def others():
        with ServiceRpcProxy("pledges", service_config) as rpc:
            while not done.ready():
                began = time.perf_counter()
                rpc.counts()
                waits.append(time.perf_counter() - began)
                eventlet.sleep(0.005)

    asking = eventlet.spawn(others)
    with ServiceRpcProxy("pledges", service_config) as rpc:
        rpc.counts()  # connected and answering before the clock starts
        eventlet.sleep(0.1)
        began = time.perf_counter()
        with pytest.raises(Invalid) as refused:
            getattr(rpc, method)(body)
        took = time.perf_counter() - began
    done.send()
    asking.wait()
    assert took < 1, f"{method} took {took:.2f} s"
    assert waits and max(waits) < 1, f"other requests waited up to {max(waits):.2f} s"
    # nothing of what was sent comes back in the answer
    assert "$$" not in str(refused.value.details) and "a@a" not in str(refused.value.details)
