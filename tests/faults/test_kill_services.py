"""kill -9 each backend service in turn while needs flow: nothing is lost or doubled."""

import signal
import time

import pytest
import requests

from tilts_contracts.tokens import issue_token

pytestmark = pytest.mark.integration


def test_killing_each_service_mid_flow_loses_and_doubles_nothing(
    own_stack, wait_until, store_with_retries
):
    post_until_stored = store_with_retries
    running = own_stack(RPC_TIMEOUT="3")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(running.secret, 'coordinator')}"
    url, email = running.url, "kill-test@example.org"
    org = post_until_stored(
        session,
        f"{url}/api/organisations",
        {"name": "Izturīgā biedrība", "email": email, "domains": ["social"], "regions": ["riga"]},
        "org",
    )
    session.post(f"{url}/api/organisations/{org['id']}/verify").raise_for_status()
    post_until_stored(
        session,
        f"{url}/api/offers",
        {
            "organisation_id": org["id"],
            "domain": "social",
            "title": "Pārtikas paciņas",
            "capacity": 100,
            "regions": ["riga"],
        },
        "offer",
    )

    def post_need(n):
        return post_until_stored(
            session,
            f"{url}/api/needs",
            {
                "domain": "social",
                "title": f"Pārtika ģimenei nr. {n}",
                "region": "riga",
                "quantity": 1,
            },
            f"need-{n}",
        )

    needs = []
    for n, victim in enumerate(["matching", "notify", "pledges", "registry"] * 1):
        needs.append(post_need(2 * n))
        running.stop_service(victim, signal.SIGKILL)  # mid-flow: the need is on its way
        if victim != "pledges":
            needs.append(post_need(2 * n + 1))  # posted while the victim is dead
        running.start_service(victim)
        running.wait_healthy(60)
    needs += [post_need(n) for n in range(100, 104)]
    ids = {n["id"] for n in needs}
    listed = session.get(f"{url}/api/needs", params={"limit": 500}).json()["items"]
    assert {n["id"] for n in listed} == ids  # one need per key, however often it was sent

    def proposals():
        return session.get(f"{url}/api/matches", params={"limit": 500}).json()["items"]

    matches = wait_until(proposals, lambda ms: {m["need_id"] for m in ms} == ids, timeout=90)
    assert {m["need_id"] for m in matches} == ids
    assert len(matches) == len(ids)  # no need was proposed twice
    mails = running.mail.wait_for(email, count=len(ids), subject="Lūgums palīdzēt", timeout=90)
    time.sleep(3)  # anything doubled would arrive now
    mails = running.mail.messages(email, subject="Lūgums palīdzēt")
    assert len(mails) == len(ids)
    assert len({m["Message-ID"] for m in mails}) == len(ids)
