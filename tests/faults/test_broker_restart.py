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
import requests

from tilts_contracts.tokens import issue_token

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
    private_rabbit, own_stack, wait_until, store_with_retries
):  # the broker first, so it is stopped after the services, not under them
    post_until_stored = store_with_retries
    running = own_stack(AMQP_URI=private_rabbit.uri, RPC_TIMEOUT="3")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(running.secret, 'coordinator')}"
    url, email = running.url, "broker-restart@example.org"
    org = post_until_stored(
        session,
        f"{url}/api/organisations",
        {
            "name": "Noturīgā biedrība",
            "email": email,
            "domains": ["health"],
            "regions": ["latgale"],
        },
        "org",
    )
    session.post(f"{url}/api/organisations/{org['id']}/verify").raise_for_status()
    post_until_stored(
        session,
        f"{url}/api/offers",
        {
            "organisation_id": org["id"],
            "domain": "health",
            "title": "Ārsta vizītes",
            "capacity": 100,
            "regions": ["latgale"],
        },
        "offer",
    )

    def need(n):
        return post_until_stored(
            session,
            f"{url}/api/needs",
            {"domain": "health", "title": f"Vizīte nr. {n}", "region": "latgale", "quantity": 1},
            f"need-{n}",
            deadline=180,
        )

    needs = [need(n) for n in range(5)]  # their events are still in flight when it stops
    private_rabbit.stop()
    refused = session.post(
        f"{url}/api/needs",
        json={"domain": "health", "title": "Bez brokera", "region": "latgale", "quantity": 1},
        timeout=15,
    )
    assert refused.status_code == 503, refused.text  # a clear answer, not a hang or a 500
    private_rabbit.start()
    needs += [need(n) for n in range(5, 10)]  # posted while the services reconnect
    ids = {n["id"] for n in needs}

    def proposals():
        try:
            return session.get(f"{url}/api/matches", params={"limit": 500}, timeout=10).json()
        except (requests.RequestException, ValueError):
            return {"items": []}

    matches = wait_until(
        proposals, lambda page: {m["need_id"] for m in page.get("items", [])} == ids, timeout=180
    )["items"]
    assert {m["need_id"] for m in matches} == ids and len(matches) == len(ids)
    running.mail.wait_for(email, count=len(ids), subject="Lūgums palīdzēt", timeout=120)
    time.sleep(3)
    assert len(running.mail.messages(email, subject="Lūgums palīdzēt")) == len(ids)
