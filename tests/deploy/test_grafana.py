"""The Grafana dashboard is a dashboard Grafana can load, and every figure on it is one
the processes really export (the names come from tilts_runtime.metrics)."""

import json
import re
from pathlib import Path

from tilts_runtime import metrics

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "tilts.json"
# what a Prometheus sample name adds to its family's name
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def unknown_names(expr: str) -> set[str]:
    """The tilts_* names in a PromQL expression that no Tilts process exports."""
    found = set(re.findall(r"\btilts_[a-z_]+", expr))
    return {n for n in found if _family(n) not in metrics.NAMES}


def _family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in metrics.NAMES:
            return name[: -len(suffix)]
    return name


def test_the_dashboard_is_grafana_json_with_a_query_on_every_panel():
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    charts = [p for p in panels if p["type"] != "row"]
    assert len(charts) >= 12
    for panel in charts:
        assert panel["targets"], panel["title"]
        assert all(t["expr"].strip() and t["refId"] for t in panel["targets"]), panel["title"]
        place = panel["gridPos"]
        assert 0 <= place["x"] and place["x"] + place["w"] <= 24, panel["title"]
    variables = {v["name"] for v in board["templating"]["list"]}
    used = {p["datasource"]["uid"] for p in charts}
    assert used == {"${datasource}"} and "datasource" in variables


def test_every_metric_on_the_dashboard_is_exported():
    exprs = [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]
    shown = {_family(n) for e in exprs for n in re.findall(r"\btilts_[a-z_]+", e)}
    assert {e: unknown_names(e) for e in exprs if unknown_names(e)} == {}
    # what an admin must see: HTTP, RPCs, handlers, email, the outboxes
    assert {
        "tilts_http_requests",
        "tilts_http_request_seconds",
        "tilts_rpc_client_calls",
        "tilts_rpc_seconds",
        "tilts_event_handler_runs",
        "tilts_event_handler_seconds",
        "tilts_emails",
        "tilts_outbox_pending_events",
        "tilts_service_up",
    } <= shown


def test_a_misspelt_metric_would_be_caught():
    assert unknown_names("rate(tilts_http_request_total[5m])") == {"tilts_http_request_total"}
    assert unknown_names("sum(rate(tilts_emails_total[1h]))") == set()
