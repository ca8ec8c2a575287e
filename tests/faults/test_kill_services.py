"""kill -9 each backend service in turn while needs flow: nothing is lost or doubled."""

import signal
import time

import pytest

pytestmark = pytest.mark.integration


def test_killing_each_service_mid_flow_loses_and_doubles_nothing(own_stack, needs_flow, wait_until):
    running = own_stack(RPC_TIMEOUT="3")
    flow = needs_flow(running, "kill-test@example.org")
    needs = []
    for n, victim in enumerate(["matching", "notify", "pledges", "registry"]):
        needs.append(flow.post_need(2 * n))
        running.stop_service(victim, signal.SIGKILL)  # mid-flow: the need is on its way
        if victim != "pledges":
            needs.append(flow.post_need(2 * n + 1))  # posted while the victim is dead
        running.start_service(victim)
        running.wait_healthy(60)
    needs += [flow.post_need(n) for n in range(100, 104)]
    ids = {n["id"] for n in needs}
    listed = flow.session.get(f"{flow.url}/api/needs", params={"limit": 500}).json()["items"]
    assert {n["id"] for n in listed} == ids  # one need per key, however often it was sent

    matches = wait_until(flow.proposals, lambda ms: {m["need_id"] for m in ms} == ids, timeout=90)
    assert {m["need_id"] for m in matches} == ids
    assert len(matches) == len(ids)  # no need was proposed twice
    running.mail.wait_for(flow.email, count=len(ids), subject="Lūgums palīdzēt", timeout=90)
    time.sleep(3)  # anything doubled would arrive now
    mails = running.mail.messages(flow.email, subject="Lūgums palīdzēt")
    assert len(mails) == len(ids)
    assert len({m["Message-ID"] for m in mails}) == len(ids)
