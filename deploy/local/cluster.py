"""A RabbitMQ cluster of three nodes on this machine, for fault tests and benchmarks.

Each node has its own name, ports and data directory and shares one Erlang cookie with
the others; the second and third join the first with `rabbitmqctl join_cluster`. Nothing
touches the machine's own broker (5672, 25672, 15672). Every node dies with the process
that started it, even when that process is killed, and `stop()` kills whatever is left.

    with Cluster(tmp / "cluster") as cluster:
        env["AMQP_URI"] = cluster.uri     # amqp://…:p1/;amqp://…:p2/;amqp://…:p3/
        cluster.kill(cluster.leader_of("rpc-pledges"))
"""

import os
import secrets
import signal
import subprocess
from pathlib import Path

from stack import wait_for_port
from testbed import PrivateRabbit


class Node(PrivateRabbit):
    """One node of a `Cluster`: a PrivateRabbit with the cluster's cookie."""

    def __init__(self, var: Path, cookie: str):
        super().__init__(var)
        self.cookie = cookie

    die_with_parent = True

    def launch(self) -> None:
        """Start the node, with the cluster's cookie, without waiting for it."""
        self.var.mkdir(parents=True, exist_ok=True)
        cookie = self.var / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(self.cookie)
            cookie.chmod(0o400)
        super().launch()

    def ctl(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [str(self.SCRIPTS / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def kill(self) -> None:
        """SIGKILL the node and everything it started (beam, epmd helpers, inet_gethost)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


class Cluster:
    def __init__(self, var: Path, size: int = 3):
        cookie = secrets.token_hex(16).upper()
        self.nodes = [Node(var / f"node{n + 1}", cookie) for n in range(size)]

    @property
    def uri(self) -> str:
        """Every node, `;`-separated: kombu fails over to the next one that answers."""
        return ";".join(node.uri for node in self.nodes)

    def start(self) -> "Cluster":
        try:
            for node in self.nodes:  # booting side by side
                node.launch()
            for node in self.nodes:
                wait_for_port("127.0.0.1", node.port, 120, node.proc)
            first = self.nodes[0].node
            for node in self.nodes[1:]:
                node.ctl("stop_app")
                node.ctl("join_cluster", first)
                node.ctl("start_app")
                node.ctl("await_startup")
        except BaseException:
            self.stop()
            raise
        return self

    def leader_of(self, queue: str) -> "Node":
        """The node that leads quorum queue `queue` now (asked of any live node)."""
        live = next(n for n in self.nodes if n.proc is not None and n.proc.poll() is None)
        for line in live.ctl("list_queues", "name", "leader", "--quiet").splitlines():
            name, _, leader = line.partition("\t")
            if name == queue:
                return next(n for n in self.nodes if n.node == leader.strip())
        raise LookupError(f"no queue {queue}")

    def stop(self) -> None:
        """Kill every node: a test's cluster is thrown away with its data."""
        for node in self.nodes:
            node.kill()

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
