"""Bad requests get a 4xx in the error shape, never a 500 or an HTML traceback."""

import json
import uuid

import pytest
import requests

pytestmark = pytest.mark.integration


@pytest.fixture
def coordinator(client):
    return client()


def shape(reply, status, code):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json()["error"]["code"] == code
    return reply.json()["error"]


def test_malformed_json(stack, coordinator):
    reply = coordinator.post(
        f"{stack.url}/api/needs",
        data=b'{"domain": "health",',
        headers={"Content-Type": "application/json"},
    )
    shape(reply, 400, "invalid")


def test_wrong_content_type(stack, coordinator):
    reply = coordinator.post(
        f"{stack.url}/api/needs",
        data="domain=health",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    shape(reply, 415, "unsupported_media_type")


def test_unknown_fields_are_named(stack, coordinator):
    reply = coordinator.post(
        f"{stack.url}/api/needs",
        json={
            "domain": "health",
            "title": "Ārsts",
            "region": "riga",
            "quantity": 1,
            "refugee_name": "Ahmed",
        },
    )
    assert "refugee_name" in shape(reply, 400, "invalid")["details"]


def test_a_body_that_is_not_an_object(stack, coordinator):
    shape(coordinator.post(f"{stack.url}/api/needs", json=[1, 2]), 400, "invalid")


@pytest.mark.parametrize("path", ["/api/questionnaire", "/api/needs"])
def test_deeply_nested_json_is_400_naming_the_body(stack, coordinator, path):
    for depth in (20000, 200):  # deeper than Python's reader, and deeper than any resource
        nested = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
        reply = coordinator.post(
            stack.url + path, data=nested, headers={"Content-Type": "application/json"}
        )
        error = shape(reply, 400, "invalid")
        assert "nested too deeply" in error["details"]["_body"][0]


def test_a_huge_body_is_413(stack, coordinator):
    reply = coordinator.post(
        f"{stack.url}/api/needs",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    shape(reply, 413, "too_large")


def chunked(body: bytes, size: int = 64 * 1024):
    """A generator body: requests sends it with Transfer-Encoding: chunked, no length."""
    for at in range(0, len(body), size):
        yield body[at : at + size]


def test_a_chunked_json_body_over_the_cap_is_413(stack, coordinator):
    body = json.dumps({"domain": "health", "description": "x" * (1024 * 1024)}).encode()
    reply = coordinator.post(
        f"{stack.url}/api/needs", data=chunked(body), headers={"Content-Type": "application/json"}
    )
    assert shape(reply, 413, "too_large")["details"] == {"limit": 1024 * 1024}


def test_a_chunked_questionnaire_over_its_cap_is_413(stack):
    body = json.dumps({"name": "Gara anketa", "description": "ā" * 40 * 1024}).encode()
    reply = requests.post(
        f"{stack.url}/api/questionnaire",
        data=chunked(body, 4096),
        headers={"Content-Type": "application/json"},
    )
    assert shape(reply, 413, "too_large")["details"] == {"limit": 64 * 1024}


def test_a_chunked_csv_over_the_cap_is_413_and_imports_nothing(stack, coordinator):
    tag = uuid.uuid4().hex[:8]
    rows = [
        f'Lielā importa biedrība {tag} {n},big-{tag}-{n}@example.org,"{"apraksts " * 500}"'
        for n in range(300)
    ]
    body = ("name,email,description\n" + "\n".join(rows) + "\n").encode()
    assert len(body) > 1024 * 1024
    reply = coordinator.post(
        f"{stack.url}/api/organisations/import",
        data=chunked(body),
        headers={"Content-Type": "text/csv"},
    )
    assert reply.status_code == 413, reply.text[:300]  # not a report of the rows read
    assert reply.json()["error"]["code"] == "too_large"
    found = coordinator.get(f"{stack.url}/api/organisations", params={"q": tag}).json()
    assert found["items"] == []


def test_a_chunked_body_just_under_the_cap_is_read_whole(stack, coordinator):
    padding = 1024 * 1024 - len(b'{"x": ""}')
    body = b'{"x": "' + b" " * padding + b'"}'
    assert len(body) == 1024 * 1024
    reply = coordinator.post(
        f"{stack.url}/api/needs", data=chunked(body), headers={"Content-Type": "application/json"}
    )
    assert "x" in shape(reply, 400, "invalid")["details"]  # read whole: the field is named


@pytest.mark.parametrize(
    "path",
    [
        "/api/needs/..%2F..%2Fetc%2Fpasswd",
        "/api/needs/need_../../x",
        "/api/offers/%3Cscript%3E",
        "/api/organisations/org_1;DROP",
        "/api/needs/" + "a" * 500,
        "/api/needs/need_0123456789ab%0a",  # a well-formed id with a trailing newline
        "/api/organisations/org_0123456789ab%0a/notification-preferences",
    ],
)
def test_odd_ids_are_not_found(stack, coordinator, path):
    assert coordinator.get(stack.url + path).status_code == 404


def test_unknown_routes_and_methods_answer_json(stack, coordinator):
    shape(coordinator.get(f"{stack.url}/api/nothing-here"), 404, "not_found")
    wrong = coordinator.delete(f"{stack.url}/api/needs")
    shape(wrong, 405, "method_not_allowed")
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    moved = coordinator.get(f"{stack.url}/api//needs?limit=1", allow_redirects=False)
    assert moved.status_code == 308 and moved.json()["error"]["code"] == "moved"
    assert moved.headers["Location"].endswith("/api/needs?limit=1")
    assert coordinator.get(f"{stack.url}/api//needs?limit=1").status_code == 200  # followed


@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc"])
def test_bad_paging_is_400(stack, coordinator, limit):
    shape(coordinator.get(f"{stack.url}/api/needs", params={"limit": limit}), 400, "invalid")


@pytest.mark.parametrize(
    "path, query, field",
    [
        ("/api/offers", {"status": "bogus"}, "status"),
        ("/api/offers", {"domain": "mars"}, "domain"),
        ("/api/needs", {"urgency": "asap"}, "urgency"),
        ("/api/organisations", {"region": "europe"}, "region"),
        ("/api/matches", {"status": "bogus"}, "status"),
    ],
)
def test_an_unknown_list_filter_is_400_naming_it(stack, coordinator, path, query, field):
    error = shape(coordinator.get(f"{stack.url}{path}", params=query), 400, "invalid")
    assert list(error["details"]) == [field]


@pytest.mark.parametrize(
    "path",
    ["/api/needs", "/api/offers", "/api/organisations", "/api/matches", "/api/notifications"],
)
@pytest.mark.parametrize("cursor", ["abc", "need_zz", "off_0123456789ab\n"])
def test_a_cursor_the_list_never_gave_out_is_400_naming_it(stack, coordinator, path, cursor):
    if path == "/api/needs" and cursor == "need_zz":
        cursor = "off_0123456789abcdef01234567"  # well formed, but another list's
    error = shape(coordinator.get(stack.url + path, params={"cursor": cursor}), 400, "invalid")
    assert list(error["details"]) == ["cursor"]


def test_the_next_cursor_of_offers_and_the_outbox_reads_the_next_page(
    stack, client, verified_org, wait_until
):
    orgs = [verified_org(), verified_org()]  # each is told by email it is verified
    coordinator = client()
    for org in orgs:
        offer = {
            "organisation_id": org["id"],
            "domain": "social",
            "title": "Pavadīšana uz iestādēm",
            "capacity": 1,
            "unit": "visits",
            "regions": ["riga"],
        }
        assert coordinator.post(f"{stack.url}/api/offers", json=offer).status_code == 201
    wait_until(
        lambda: coordinator.get(f"{stack.url}/api/notifications", params={"limit": 2}).json(),
        lambda page: page["next"] is not None,
    )
    for path in ("/api/offers", "/api/notifications"):
        first = coordinator.get(stack.url + path, params={"limit": 1}).json()
        assert first["next"], path
        second = coordinator.get(stack.url + path, params={"limit": 1, "cursor": first["next"]})
        assert second.status_code == 200, second.text
        assert second.json()["items"] and second.json()["items"] != first["items"], path


def test_paging_walks_every_item_once(stack, coordinator):
    seen, cursor = [], None
    while True:
        page = coordinator.get(
            f"{stack.url}/api/organisations",
            params={"limit": 2, **({"cursor": cursor} if cursor else {})},
        ).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    everything = coordinator.get(f"{stack.url}/api/organisations", params={"limit": 500}).json()[
        "items"
    ]
    assert seen == [o["id"] for o in everything] and len(seen) == len(set(seen))


def test_latvian_text_round_trips_exactly(stack, coordinator):
    title = "Ģimenei ar bērniem vajag ēdienu — «ļoti» steidzami; Ūdens, šķīvji"
    made = coordinator.post(
        f"{stack.url}/api/needs",
        json={"domain": "policy", "title": title, "region": "latgale", "quantity": 1},
    )
    assert made.status_code == 201 and made.json()["title"] == title
    assert coordinator.get(f"{stack.url}/api/needs/{made.json()['id']}").json()["title"] == title
    coordinator.post(f"{stack.url}/api/needs/{made.json()['id']}/cancel")


def test_html_in_text_is_escaped_on_pages(stack, client, verified_org):
    org = verified_org(name="<script>alert(1)</script> biedrība")
    client("organisation", org["id"]).post(
        f"{stack.url}/api/offers",
        json={
            "domain": "policy",
            "title": "<img src=x onerror=alert(1)>",
            "capacity": 1,
            "regions": ["kurzeme"],
        },
    )
    for page in ("/wall?region=kurzeme", "/commitments"):
        text = requests.get(stack.url + page).text
        assert "<script>alert(1)</script>" not in text and "<img src=x" not in text
        assert "&lt;script&gt;" in text
