"""`tilts status` reads queue depths from the first node of a failover AMQP_URI whose
management API answers, against the machine's real RabbitMQ."""

import pytest
import requests
from testbed import make_vhost

from gateway.cli.status import broker_nodes, rabbit_queues

pytestmark = pytest.mark.integration


def test_a_failover_uri_names_each_node_whatever_separates_them():
    uri = "amqp://a:x@10.0.0.1:5672/tilts; amqp://b:y@10.0.0.2:5672/tilts,amqp://c@h3/"
    nodes = broker_nodes(uri)
    assert [(n.hostname, n.port, n.username) for n in nodes] == [
        ("10.0.0.1", 5672, "a"),
        ("10.0.0.2", 5672, "b"),
        ("h3", None, "c"),
    ]


def test_queues_come_from_the_first_node_that_answers():
    uri, drop = make_vhost()
    vhost = uri.rsplit("/", 1)[1]
    try:
        api = f"http://guest:guest@127.0.0.1:15672/api/queues/{vhost}/tilts-status-probe"
        requests.put(api, json={"durable": False}, timeout=10).raise_for_status()
        refused = f"amqp://nobody:wrong@127.0.0.1:5673/{vhost}"  # the API says 401 to it
        for amqp_uri in (f"{refused};{uri}", f"{refused},{uri}"):
            names = [q["name"] for q in rabbit_queues(amqp_uri)]
            assert names == ["tilts-status-probe"]
        with pytest.raises(requests.HTTPError):
            rabbit_queues(refused)
    finally:
        drop()
