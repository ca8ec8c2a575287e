"""/openapi.json is generated: every route is in it, with the contract's schemas."""

from gateway.api.openapi import PARAM, document, routes
from gateway.api.routing import DECLARED as DOCS
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
    pause = spec["paths"]["/api/offers/{offer_id}/{action}"]["post"]["parameters"]
    assert {
        "name": "action",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["pause", "resume"]},
    } in pause
    decline = spec["paths"]["/api/matches/{match_id}/decline"]["post"]["requestBody"]
    assert decline["required"] is False


def test_a_patch_body_is_partial_so_a_client_sends_only_what_changes():
    spec = document(GatewayService)
    schemas = spec["components"]["schemas"]
    for path, name, full in [
        ("/api/organisations/{org_id}", "OrganisationInPatch", "OrganisationIn"),
        ("/api/needs/{need_id}", "NeedInPatch", "NeedIn"),
        ("/api/offers/{offer_id}", "OfferEditPatch", "OfferEdit"),
    ]:
        body = spec["paths"][path]["patch"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": f"#/components/schemas/{name}"}
        assert "required" not in schemas[name]
        assert set(schemas[name]["properties"]) == set(schemas[full]["properties"])
    assert schemas["NeedIn"]["required"]  # a create still names what it needs


def test_link_pages_refuse_with_pages_and_the_probe_route_is_described():
    spec = document(GatewayService)
    for path, verb in [("/respond/{token}", "get"), ("/respond/{token}", "post")]:
        assert "text/html" in spec["paths"][path][verb]["responses"]["404"]["content"]
    assert "text/html" in spec["paths"]["/respond/{token}"]["post"]["responses"]["409"]["content"]
    digest_off = spec["paths"]["/notifications/digest-off/{token}"]["get"]["responses"]
    assert "text/html" in digest_off["404"]["content"]
    assert "get" in spec["paths"]["/health/live"]


def test_the_public_pages_say_their_errors_are_pages_and_downloads_json():
    spec = document(GatewayService)
    wall = spec["paths"]["/wall"]["get"]["responses"]
    assert "text/html" in wall["400"]["content"] and "text/html" in wall["503"]["content"]
    assert "text/html" in spec["paths"]["/dashboard"]["get"]["responses"]["503"]["content"]
    assert "text/html" in spec["paths"]["/respond/{token}"]["get"]["responses"]["503"]["content"]
    document_503 = spec["paths"]["/commitments"]["get"]["responses"]["503"]["content"]
    assert {"text/html", "application/json"} <= set(document_503)
