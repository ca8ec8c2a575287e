"""RabbitMQ restarts while needs flow: no event is lost, nothing is doubled.

Restarting the broker affects everything on the machine, so this runs only when
TILTS_FAULTS_BROKER=1 (`TILTS_FAULTS_BROKER=1 make test-faults`).
"""

import os
import subprocess
import time

import pytest
import requests

from tilts_contracts.tokens import issue_token

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("TILTS_FAULTS_BROKER") != "1",
        reason="restarts the machine's RabbitMQ: set TILTS_FAULTS_BROKER=1",
    ),
]


def test_a_broker_restart_loses_no_event(own_stack, wait_until, store_with_retries):
    post_until_stored = store_with_retries
    running = own_stack(RPC_TIMEOUT="3")
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
        )

    needs = [need(n) for n in range(5)]
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=120)
    try:
        time.sleep(3)
    finally:
        subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, timeout=120)
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
