"""What operators see: Prometheus metrics and structured JSON logs without personal data."""

import json

import pytest
import requests

pytestmark = pytest.mark.integration


def test_metrics_count_work_by_status(stack, client, wait_until):
    need = (
        client()
        .post(
            f"{stack.url}/api/needs",
            json={
                "domain": "policy",
                "title": "Metriku vajadzība",
                "region": "vidzeme",
                "quantity": 1,
            },
        )
        .json()
    )
    text = wait_until(
        lambda: requests.get(f"{stack.url}/metrics").text,
        lambda t: 'tilts_handler_calls_total{handler="on_need_posted"' in t,
    )
    assert 'tilts_needs{status="open"}' in text or 'tilts_needs{status="unmatched"}' in text
    assert 'tilts_service_up{service="matching"} 1.0' in text
    assert 'tilts_notifications{status="sent"}' in text
    assert 'tilts_handler_seconds_total{handler="on_need_posted",service="matching"}' in text
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel")


def test_logs_are_json_with_event_and_need_ids_and_no_contacts(
    stack, verified_org, client, wait_until
):
    org = verified_org(email="log-check@example.org", phone="+371 20 111 222")
    client("organisation", org["id"]).post(
        f"{stack.url}/api/offers",
        json={
            "domain": "social",
            "title": "Žurnāla piedāvājums",
            "capacity": 1,
            "regions": ["latgale"],
        },
    ).raise_for_status()
    need = (
        client()
        .post(
            f"{stack.url}/api/needs",
            json={
                "domain": "social",
                "title": "Žurnāla vajadzība",
                "region": "latgale",
                "quantity": 1,
            },
        )
        .json()
    )
    log = stack.logs / "matching.log"

    def lines():
        return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]

    found = wait_until(lines, lambda ls: any(entry.get("need_id") == need["id"] for entry in ls))
    mine = [entry for entry in found if entry.get("need_id") == need["id"]]
    assert mine and all(entry["event_id"] for entry in mine)
    everything = "".join(p.read_text() for p in stack.logs.glob("*.log"))
    assert "log-check@example.org" not in everything and "20 111 222" not in everything
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel")
