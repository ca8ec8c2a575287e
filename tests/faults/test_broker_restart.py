"""RabbitMQ restarts while needs flow: no event is lost, nothing is doubled.

The stack runs on a RabbitMQ node of the test's own, which is stopped whole and started
again on the same data while needs are being posted, so the machine's broker is never
touched and the test runs in CI. What must carry the events across: durable queues,
persistent messages, publisher confirms, the outbox relay and clients that retry with
an Idempotency-Key.
"""

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
from testbed import PrivateRabbit  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not PrivateRabbit.available(), reason="needs RabbitMQ's server scripts"),
]


@pytest.fixture
def private_rabbit(tmp_path):
    broker = PrivateRabbit(tmp_path / "rabbit")
    broker.start()
    yield broker
    broker.stop()


def test_a_broker_restart_loses_no_event(
    private_rabbit, own_stack, needs_flow, wait_until
):  # the broker first, so it is stopped after the services, not under them
    running = own_stack(AMQP_URI=private_rabbit.uri, RPC_TIMEOUT="3")
    flow = needs_flow(running, "broker-restart@example.org", "health", "latgale")
    needs = [flow.post_need(n) for n in range(5)]  # their events are still in flight
    private_rabbit.stop()
    refused = flow.session.post(
        f"{flow.url}/api/needs",
        json={"domain": "health", "title": "Bez brokera", "region": "latgale", "quantity": 1},
        timeout=15,
    )
    assert refused.status_code == 503, refused.text  # a clear answer, not a hang or a 500
    private_rabbit.start()
    needs += [flow.post_need(n) for n in range(5, 10)]  # posted while the services reconnect
    ids = {n["id"] for n in needs}

    matches = wait_until(flow.proposals, lambda ms: {m["need_id"] for m in ms} == ids, timeout=180)
    assert {m["need_id"] for m in matches} == ids and len(matches) == len(ids)
    running.mail.wait_for(flow.email, count=len(ids), subject="Lūgums palīdzēt", timeout=120)
    time.sleep(3)  # anything doubled would arrive now
    assert len(running.mail.messages(flow.email, subject="Lūgums palīdzēt")) == len(ids)
