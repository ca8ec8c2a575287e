"""Every list endpoint takes `limit` and `cursor` (DESIGN), and says so (audit L6)."""

import re

from gateway.api.openapi import PARAM, document, routes
from gateway.service import GatewayService
from tilts_contracts.clock import new_id


def test_every_list_endpoint_documents_limit_and_cursor():
    spec = document(GatewayService)
    lists = [
        (url, name)
        for verb, url, name, _ in routes(GatewayService)
        if verb == "GET" and (name.startswith("list_") or name == "parked_events")
    ]
    assert ("/api/subscriptions", "list_subscriptions") in lists
    for url, name in lists:
        path = PARAM.sub(lambda m: "{" + m.group(3) + "}", url)
        params = {p["name"]: p for p in spec["paths"][path]["get"].get("parameters", [])}
        assert {"limit", "cursor"} <= set(params), name
        assert "pattern" in params["cursor"]["schema"], name  # the shape a 400 refuses


def _query(spec, path: str) -> dict:
    return {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}


def test_list_filters_document_what_a_400_refuses():
    spec = document(GatewayService)
    needs, offers, matches = (
        _query(spec, path) for path in ("/api/needs", "/api/offers", "/api/matches")
    )
    assert "nationwide" not in needs["region"]["enum"]  # a need is somewhere in particular
    assert "nationwide" in offers["region"]["enum"]
    assert "critical" in needs["urgency"]["enum"]
    assert set(matches["status"]["enum"]) == {
        "proposed",
        "accepted",
        "declined",
        "expired",
        "fulfilled",
        "cancelled",
    }


def test_id_filters_and_cursors_document_the_shape_of_ids_given_out():
    spec = document(GatewayService)
    matches = _query(spec, "/api/matches")
    for name, prefix in (("need_id", "need"), ("organisation_id", "org"), ("cursor", "mat")):
        pattern = re.compile(matches[name]["pattern"])
        assert pattern.match(new_id(prefix)), name
        assert not pattern.match(new_id("off")), name
