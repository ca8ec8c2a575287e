"""A request the gateway gave up on (503) never runs later.

The gateway waits RPC_TIMEOUT for pledges, then answers 503. Its request carries that
deadline: RabbitMQ drops it when it waited in the queue that long (a per-message TTL),
and pledges drops it unrun when it was already delivered to a process that was too busy
or frozen to start it in time. Either way the need the client was told failed is never
stored behind its back.
"""

import signal
import time

import pytest
import requests

from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration


def need(title: str) -> dict:
    return {"domain": "health", "title": title, "region": "vidzeme", "quantity": 1}


def titles(session, url) -> set[str]:
    reply = session.get(f"{url}/api/needs", params={"limit": 500}, timeout=15)
    reply.raise_for_status()
    return {n["title"] for n in reply.json()["items"]}


def test_a_request_answered_503_is_never_run_afterwards(own_stack, wait_until):
    running = own_stack(RPC_TIMEOUT="2")
    url = running.url
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(running.secret, 'coordinator')}"
    pledges = running.procs["pledges"]

    pledges.send_signal(signal.SIGSTOP)  # hung: the request reaches it and waits unrun
    try:
        frozen = session.post(f"{url}/api/needs", json=need("Iesaldētam servisam"), timeout=30)
        assert frozen.status_code == 503, frozen.text
        time.sleep(1)
    finally:
        pledges.send_signal(signal.SIGCONT)

    running.stop_service("pledges")  # down: the request waits in its queue
    down = session.post(f"{url}/api/needs", json=need("Apturētam servisam"), timeout=30)
    assert down.status_code == 503, down.text
    time.sleep(3)  # past the request's deadline
    running.start_service("pledges")

    after = wait_until(
        lambda: session.post(f"{url}/api/needs", json=need("Pēc atjaunošanas"), timeout=30),
        lambda reply: reply.status_code == 201,
        timeout=60,
    )
    assert after.status_code == 201, after.text
    time.sleep(1)  # a late run of either would have stored its need by now
    assert titles(session, url) == {"Pēc atjaunošanas"}
    log = (running.logs / "pledges.log").read_text()
    assert "its caller stopped waiting" in log  # the frozen one, dropped by pledges
    assert "dropping a request that expired in rpc-pledges" in log  # by RabbitMQ
    admin = {"Authorization": f"Bearer {issue_token(running.secret, 'admin')}"}
    parked = requests.get(f"{url}/api/admin/parked-events", headers=admin, timeout=15)
    assert parked.json()["items"] == []  # dropped as expired, not parked
