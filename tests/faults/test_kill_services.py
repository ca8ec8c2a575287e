"""kill -9 each backend service in turn under `make run` while needs flow: its supervisor
starts the service again, the others keep running, nothing is lost or doubled.

Each victim dies just after a need is posted, once the needs before it have been mailed:
a notify killed in the middle of sending holds those emails for its claim (3 minutes)
before another process may send them, longer than this test waits."""

import os
import signal
import time

import pytest

pytestmark = pytest.mark.integration


def test_killing_each_service_under_make_run_loses_and_doubles_nothing(
    make_run, smtp_sink, needs_flow, wait_until
):
    mail = {"SMTP_HOST": smtp_sink.host, "SMTP_PORT": str(smtp_sink.port)}
    run = make_run(RPC_TIMEOUT="3", **mail).start()
    run.wait_for("Tilts is up")
    run.mail = smtp_sink
    flow = needs_flow(run, "kill-test@example.org")
    others = {key: run.pid(key) for key in ("gateway", "nx-matching")}
    needs = []

    def mailed() -> int:
        return len(run.mail.messages(flow.email, subject="Lūgums palīdzēt"))

    for n, victim in enumerate(["matching", "notify", "pledges", "registry"]):
        assert wait_until(mailed, lambda count: count == len(needs), timeout=60) == len(needs)
        needs.append(flow.post_need(2 * n))
        os.kill(run.pid(victim), signal.SIGKILL)  # mid-flow: the need is on its way
        if victim != "pledges":
            needs.append(flow.post_need(2 * n + 1))  # posted while the victim is down
        run.wait_for(f"{victim} started again", timeout=30)
        run.wait_for("every service answers again", count=n + 1, timeout=60)
        assert f"{victim} was killed by SIGKILL" in run.output()
    needs += [flow.post_need(n) for n in range(100, 104)]
    ids = {n["id"] for n in needs}
    listed = flow.session.get(f"{flow.url}/api/needs", params={"limit": 500}).json()["items"]
    assert {n["id"] for n in listed} == ids  # one need per key, however often it was sent

    matches = wait_until(flow.proposals, lambda ms: {m["need_id"] for m in ms} == ids, timeout=90)
    assert {m["need_id"] for m in matches} == ids
    assert len(matches) == len(ids)  # no need was proposed twice
    run.mail.wait_for(flow.email, count=len(ids), subject="Lūgums palīdzēt", timeout=90)
    time.sleep(3)  # anything doubled would arrive now
    mails = run.mail.messages(flow.email, subject="Lūgums palīdzēt")
    assert len(mails) == len(ids)
    assert len({m["Message-ID"] for m in mails}) == len(ids)
    assert {key: run.pid(key) for key in others} == others  # the rest kept running

    os.killpg(run.proc.pid, signal.SIGTERM)  # as `timeout` or a closing terminal does
    assert run.proc.wait(20) == -signal.SIGTERM
    assert wait_until(run.processes, lambda left: not left, timeout=5) == []
