"""A service that dies between storing a change and publishing its event loses nothing."""

import pytest
import requests

from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration


def test_a_need_stored_before_a_crash_is_still_announced_and_matched(own_stack, wait_until):
    # pledges exits right after storing a need_posted, before it can publish it
    running = own_stack(RPC_TIMEOUT="3")
    running.stop_service("pledges")
    running.start_service("pledges", extra_env={"FAULT_EXIT_AFTER_WRITE": "need_posted"})
    running.wait_healthy(60)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(running.secret, 'coordinator')}"
    url = running.url

    org = session.post(
        f"{url}/api/organisations",
        json={
            "name": "Kurzemes palīdzības centrs",
            "email": "kurzeme-crash@example.org",
            "domains": ["health"],
            "regions": ["kurzeme"],
        },
    ).json()
    session.post(f"{url}/api/organisations/{org['id']}/verify").raise_for_status()
    offer = session.post(
        f"{url}/api/offers",
        json={
            "organisation_id": org["id"],
            "domain": "health",
            "title": "Ģimenes ārsta pieņemšana",
            "capacity": 2,
            "regions": ["kurzeme"],
        },
    )
    assert offer.status_code == 201, offer.text

    need_body = {
        "domain": "health",
        "title": "Ārsta apmeklējums bērnam",
        "region": "kurzeme",
        "quantity": 1,
    }
    retry_safely = {"Idempotency-Key": "kurzeme-need-1"}
    reply = session.post(f"{url}/api/needs", json=need_body, headers=retry_safely)
    assert reply.status_code == 503  # the caller is told it did not complete
    assert running.procs["pledges"].wait(10) == 70

    # restarted without the fault, pledges' relay publishes what was stored
    running.procs.pop("pledges")
    running.start_service("pledges")
    running.wait_healthy(60)
    # the coordinator retries with the same key: the need the crash stored, not a second
    retried = session.post(f"{url}/api/needs", json=need_body, headers=retry_safely)
    assert retried.status_code == 201
    needs = session.get(f"{url}/api/needs").json()["items"]
    assert [n["id"] for n in needs] == [retried.json()["id"]]  # also RabbitMQ's redelivery
    need = wait_until(
        lambda: session.get(f"{url}/api/needs/{needs[0]['id']}").json(),
        lambda n: n["matches"],
        timeout=30,
    )
    assert [m["status"] for m in need["matches"]] == ["proposed"]
    running.mail.wait_for("kurzeme-crash@example.org", timeout=30, subject="Lūgums palīdzēt")
