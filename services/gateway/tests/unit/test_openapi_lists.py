"""Every list endpoint takes `limit` and `cursor` (DESIGN), and says so (audit L6)."""

from gateway.openapi import PARAM, document, routes
from gateway.service import GatewayService


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
        params = {p["name"] for p in spec["paths"][path]["get"].get("parameters", [])}
        assert {"limit", "cursor"} <= params, name
