"""A RabbitMQ cluster node dies while needs flow: the services fail over, nothing is lost.

Three RabbitMQ nodes of the test's own (deploy/local/cluster.py: own names, ports and
data, never the machine's broker) form a cluster; the services get all three in
AMQP_URI, `;`-separated. The node that leads the queues (the one the services declared
them on) is killed with SIGKILL while needs are being posted and three needs' events
wait in it, their consumer stopped. Quorum queues keep every queued event on the other
two; the services reconnect to a surviving node. Every need is matched and emailed
exactly once. The test prints the figures bench/RESULTS.md records.
"""

import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
from cluster import Cluster  # noqa: E402
from testbed import PrivateRabbit  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not PrivateRabbit.available(), reason="needs RabbitMQ's server scripts"),
]

NEEDS_QUEUE = "evt-pledges-need_posted--matching.on_need_posted"


@pytest.fixture
def cluster(tmp_path):
    nodes = Cluster(tmp_path / "cluster").start()  # kills what it started if it fails
    yield nodes
    nodes.stop()


def test_a_dead_cluster_node_loses_no_event(
    cluster, own_stack, needs_flow, wait_until
):  # the cluster first, so it is stopped after the services, not under them
    running = own_stack(AMQP_URI=cluster.uri, RPC_TIMEOUT="3")
    flow = needs_flow(running, "cluster-node@example.org", "children", "zemgale")
    leader = cluster.leader_of(NEEDS_QUEUE)
    assert leader is cluster.nodes[0]  # where the services connected and declared
    # matching stopped: the first needs' events wait in its queue, on the node that dies
    running.stop_service("matching")
    stored = [(time.monotonic(), flow.post_need(n)) for n in range(3)]

    def queued() -> int:
        rows = leader.ctl("list_queues", "name", "messages", "--quiet").splitlines()
        return next((int(r.split()[1]) for r in rows if r.split()[0] == NEEDS_QUEUE), 0)

    in_flight = wait_until(queued, lambda n: n == 3, timeout=30)
    assert in_flight == 3

    def post_rest():  # and more are posted, one after another, while the node dies
        for n in range(3, 10):
            stored.append((time.monotonic(), flow.post_need(n)))

    poster = threading.Thread(target=post_rest)
    poster.start()
    wait_until(lambda: len(stored), lambda count: count >= 5, timeout=60, interval=0.01)
    killed = time.monotonic()
    leader.kill()
    poster.join(200)
    running.start_service("matching")
    needs = [need for _, need in stored]
    recovered = min(when for when, _ in stored if when > killed) - killed
    ids = {n["id"] for n in needs}

    matches = wait_until(flow.proposals, lambda ms: {m["need_id"] for m in ms} == ids, timeout=120)
    assert sorted(m["need_id"] for m in matches) == sorted(ids)  # each once
    running.mail.wait_for(flow.email, count=len(ids), subject="Lūgums palīdzēt", timeout=60)
    settled = time.monotonic() - killed
    time.sleep(2)  # anything doubled would arrive now
    assert len(running.mail.messages(flow.email, subject="Lūgums palīdzēt")) == len(ids)
    assert cluster.leader_of(NEEDS_QUEUE) is not leader
    # the gateway's broadcast queue (exclusive, classic) went with the dead node and is
    # declared again on a live one: its list cache still hears of changes
    live = next(node for node in cluster.nodes if node is not leader)

    def broadcast_queues() -> list[str]:
        listed = live.ctl("list_queues", "name", "exclusive", "--quiet").splitlines()
        return [line.split() for line in listed if line.startswith("broadcast-gateway.")]

    [[_, exclusive]] = wait_until(broadcast_queues, lambda qs: len(qs) == 1, timeout=60)
    assert exclusive == "true"
    print(
        f"\ncluster failover: {in_flight} needs in flight at the kill, a need stored again "
        f"{recovered:.1f} s after it, all {len(ids)} matched and emailed {settled:.1f} s after it"
    )
