"""/openapi.json is generated: every route is in it, with the contract's schemas."""

from gateway.openapi import DOCS, PARAM, document, routes
from gateway.service import GatewayService


def test_every_route_is_described():
    spec = document(GatewayService)
    described = {(verb, path) for path, ops in spec["paths"].items() for verb in ops}
    for verb, url, name, _ in routes(GatewayService):
        path = PARAM.sub(lambda m: "{" + m.group(3) + "}", url)
        assert (verb.lower(), path) in described, f"{verb} {url} ({name})"
    assert set(DOCS) == {name for _, _, name, _ in routes(GatewayService)}


def test_bodies_and_answers_come_from_the_marshmallow_schemas():
    spec = document(GatewayService)
    assert spec["openapi"].startswith("3.1")
    post_need = spec["paths"]["/api/needs"]["post"]
    body = post_need["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/NeedIn"}
    need_in = spec["components"]["schemas"]["NeedIn"]
    assert set(need_in["required"]) == {"domain", "title", "region", "quantity"}
    assert "legal" in need_in["properties"]["domain"]["enum"]
    assert post_need["security"] == [{"bearer": []}]
    assert "201" in post_need["responses"] and "400" in post_need["responses"]
    answer = spec["paths"]["/api/matches/{match_id}/{action}"]["post"]["parameters"]
    assert {
        "name": "action",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["accept", "decline", "fulfil"]},
    } in answer
