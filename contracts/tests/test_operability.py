"""What admins rely on from every service: probes that test their own pod, handler
counters that add up across replicas."""

import os
import time

import pytest

from tilts_contracts import messaging, probe


def test_liveness_is_the_age_of_this_process_heartbeat(tmp_path, monkeypatch, capsys):
    beat = tmp_path / "alive"
    config = {"HEARTBEAT_FILE": str(beat)}
    assert "no heartbeat" in probe.check_live(config, 60)
    heartbeat = messaging.Heartbeat()
    heartbeat.path = str(beat)
    heartbeat.beat()
    assert probe.check_live(config, 60) is None
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert "120 s old" in probe.check_live(config, 60)
    heartbeat.beat()  # touching moves the time on, it does not wait for a change
    assert probe.check_live(config, 60) is None
    assert "not set" in probe.check_live({"HEARTBEAT_FILE": ""}, 60)

    monkeypatch.setenv("HEARTBEAT_FILE", str(beat))
    assert probe.main(["live"]) == 0
    os.utime(beat, (old, old))
    assert probe.main(["live", "--max-age", "90"]) == 1
    assert "workers stuck" in capsys.readouterr().err


def test_readiness_also_needs_the_broker_and_the_database(tmp_path):
    beat = tmp_path / "alive"
    beat.touch()
    config = {
        "HEARTBEAT_FILE": str(beat),
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:9/",
        "MONGO_URI": "mongodb://127.0.0.1:9/",
    }
    began = time.monotonic()
    assert "RabbitMQ" in probe.check_ready(config, 60)
    assert time.monotonic() - began < 10
    assert "no heartbeat" in probe.check_ready({**config, "HEARTBEAT_FILE": str(beat) + "x"}, 60)


@pytest.mark.integration
def test_handler_times_add_up_over_every_process(mongo_uri):
    from pymongo import MongoClient

    with MongoClient(mongo_uri) as client:
        store = messaging.Store(client["tilts_probe_test"])
        store.save_handler_times("pod-a:1:x", {"on_need_posted": {"count": 3, "seconds": 0.5}})
        store.save_handler_times("pod-b:1:y", {"on_need_posted": {"count": 4, "seconds": 0.25}})
        store.save_handler_times("pod-b:1:y", {"on_need_posted": {"count": 5, "seconds": 0.5}})
        store.save_handler_times("pod-b:1:y", {"on_offer_pledged": {"count": 1, "seconds": 0.1}})
        total = store.handler_times_total()
        assert total == {
            "on_need_posted": {"count": 3, "seconds": 0.5},
            "on_offer_pledged": {"count": 1, "seconds": 0.1},
        }  # each process's document is replaced by its own latest totals
        store.save_handler_times(
            "pod-b:1:y",
            {
                "on_need_posted": {"count": 5, "seconds": 0.5},
                "on_offer_pledged": {"count": 1, "seconds": 0.1},
            },
        )
        assert store.handler_times_total()["on_need_posted"] == {"count": 8, "seconds": 1.0}
        client.drop_database("tilts_probe_test")
