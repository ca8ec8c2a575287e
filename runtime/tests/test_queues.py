"""The queues every service declares: quorum, with a delivery limit and dead letters
going to their consumer; the names the migration script recognises; failover logs."""

from types import SimpleNamespace

import pytest

from tilts_runtime import queues
from tilts_runtime.queues import DELIVERY_LIMIT, arguments_for, death_of, declared_by

BACKENDS = ("registry", "pledges", "matching", "notify")


@pytest.mark.parametrize("service", BACKENDS)
def test_every_queue_a_service_declares_is_quorum_and_dead_letters_to_its_consumer(service):
    for queue in declared_by(service, {}):
        args = queue.queue_arguments
        assert args["x-queue-type"] == "quorum", queue.name
        if queue.name.startswith("dead-"):
            assert set(args) == {"x-queue-type"}  # nothing dies twice
            continue
        owner = queue.name.rsplit("--", 1)[-1].split(".")[0].removeprefix("rpc-")
        assert args["x-delivery-limit"] == DELIVERY_LIMIT
        assert args["x-dead-letter-routing-key"] == owner
        assert arguments_for(queue.name) == args  # what the migration declares


def test_the_migration_recognises_tilts_queues_and_leaves_reply_queues_alone():
    assert arguments_for("backoff--1020ms") == {"x-queue-type": "quorum"}
    assert arguments_for("rpc-pledges")["x-dead-letter-routing-key"] == "pledges"
    assert arguments_for("rpc.reply-gateway-6f1c1c4e-8a4b-4c0e-9a55-0c3c8d0b1e2f") is None
    assert arguments_for("rpc-pledges.migrating") is None
    assert arguments_for("dead-pledges") is None  # declared by its service, never moved


def test_death_names_the_queue_the_reason_and_the_handler():
    died = SimpleNamespace(
        headers={
            "x-death": [
                {
                    "queue": "evt-pledges-need_posted--matching.on_need_posted",
                    "reason": "delivery_limit",
                    "routing-keys": ["need_posted"],
                },
                {"queue": "backoff--1000ms", "reason": "expired", "routing-keys": ["x"]},
            ]
        }
    )
    death = death_of(died)
    assert death["reason"] == "delivery_limit"
    assert death["handler"] == "on_need_posted"
    rpc = SimpleNamespace(
        headers={
            "x-death": [
                {
                    "queue": "rpc-pledges",
                    "reason": "expired",
                    "routing-keys": ["pledges.create_need"],
                }
            ]
        }
    )
    assert death_of(rpc)["handler"] == "pledges.create_need"
    assert death_of(SimpleNamespace(headers={}))["reason"] == "unknown"


def test_a_failover_uri_is_logged_without_any_password():
    logged = queues.sanitize_urls("amqp://tilts:s3cret@a:5672/t;amqp://tilts:s3cret@b:5672/t")
    assert "s3cret" not in logged and logged.count("@") == 2
