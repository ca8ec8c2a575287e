"""What operators see: Prometheus metrics and structured JSON logs without personal data."""

import json
import re
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration
DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "tilts.json"


def scrape(url: str) -> dict:
    """{(sample name, sorted labels): value} as Prometheus reads `url`."""
    text = requests.get(url, timeout=15).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def families(url: str) -> set[str]:
    text = requests.get(url, timeout=15).text
    return {family.name for family in text_string_to_metric_families(text)}


def test_metrics_count_work_by_status_and_each_process_its_own(stack, client, wait_until):
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
    matching = f"http://127.0.0.1:{stack.metrics_ports['matching']}/metrics"
    ran = (
        "tilts_event_handler_runs_total",
        (("handler", "on_need_posted"), ("outcome", "ok"), ("service", "matching")),
    )
    handled = wait_until(lambda: scrape(matching), lambda found: found.get(ran, 0) >= 1)
    assert handled[ran] >= 1
    text = requests.get(f"{stack.url}/metrics", timeout=15).text
    assert 'tilts_needs{status="open"}' in text or 'tilts_needs{status="unmatched"}' in text
    assert 'tilts_service_up{service="matching"} 1.0' in text
    assert 'tilts_notifications{status="sent"}' in text
    # the gateway's own: requests by route template (never by id), RPCs by outcome
    gateway = scrape(f"{stack.url}/metrics")
    posted = (
        "tilts_http_requests_total",
        (("method", "POST"), ("route", "/api/needs"), ("status", "201")),
    )
    assert gateway[posted] >= 1
    assert not [name for name, labels in gateway if need["id"] in str(labels)]
    created = (("method", "post_need"), ("outcome", "ok"), ("service", "pledges"))
    assert gateway["tilts_rpc_client_calls_total", created] >= 1
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel")


def test_every_metric_on_the_dashboard_is_served_by_some_process(stack):
    served = families(f"{stack.url}/metrics")
    for port in stack.metrics_ports.values():
        served |= families(f"http://127.0.0.1:{port}/metrics")
    board = json.loads(DASHBOARD.read_text())
    shown = {
        name
        for panel in board["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\btilts_[a-z_]+", target["expr"])
    }
    # a sample name is its family's plus _total, _bucket, _count or _sum
    family = {n: re.sub(r"_(total|bucket|count|sum)$", "", n) for n in shown}
    assert {n for n, f in family.items() if f not in served} == set()


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
        text = log.read_text()
        complete = text[: text.rfind("\n") + 1]  # a line still being written: next time
        return [json.loads(line) for line in complete.splitlines() if line.startswith("{")]

    found = wait_until(lines, lambda ls: any(entry.get("need_id") == need["id"] for entry in ls))
    mine = [entry for entry in found if entry.get("need_id") == need["id"]]
    assert mine and all(entry["event_id"] for entry in mine)
    everything = "".join(p.read_text() for p in stack.logs.glob("*.log"))
    assert "log-check@example.org" not in everything and "20 111 222" not in everything
    client().post(f"{stack.url}/api/needs/{need['id']}/cancel")
