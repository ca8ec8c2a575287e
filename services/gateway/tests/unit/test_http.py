"""Reading JSON bodies (bad input is a 400 naming the body, never a 500), and the
error answers keeping the headers a client needs."""

import json
import logging

import pytest
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.api.http import read_json, response_for
from gateway.api.server import HideLinkTokens
from tilts_contracts.errors import Invalid


def body(raw: bytes) -> Request:
    return Request(
        EnvironBuilder(method="POST", data=raw, content_type="application/json").get_environ()
    )


def test_a_lone_surrogate_in_json_is_refused_naming_the_body():
    with pytest.raises(Invalid) as caught:
        read_json(body(b'{"title": "Lone \\ud800 x"}'))
    assert "_body" in caught.value.details
    with pytest.raises(Invalid):
        read_json(body(b'{"\\udfff": 1}'))  # in a key too
    pair = json.dumps({"title": "Ģimene 😀"}).encode()  # a proper pair is text
    assert read_json(body(pair)) == {"title": "Ģimene 😀"}


@pytest.mark.parametrize("depth", [20000, 17])
def test_deeply_nested_json_is_refused_naming_the_body(depth):
    nested = b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    with pytest.raises(Invalid) as caught:
        read_json(body(nested))
    assert "nested too deeply" in caught.value.details["_body"][0]


def test_a_questionnaire_nests_well_within_the_limit():
    data = {"name": "Biedrība", "offers": [{"regions": ["riga"], "languages": ["lv"]}]}
    assert read_json(body(json.dumps(data).encode())) == data
    sixteen = json.dumps({"a": json.loads("[" * 15 + "]" * 15)}).encode()
    assert read_json(body(sixteen))


def test_a_redirect_keeps_its_location_and_a_405_says_what_is_allowed():
    urls = Map([Rule("/api/needs", endpoint="needs", methods=["GET", "POST"])]).bind("x")
    with pytest.raises(RequestRedirect) as moved:
        urls.match("/api//needs", method="GET")
    reply = response_for(moved.value)
    assert reply.status_code == 308 and reply.headers["Location"] == "http://x/api/needs"
    with pytest.raises(MethodNotAllowed) as wrong:
        urls.match("/api/needs", method="DELETE")
    reply = response_for(wrong.value)
    assert reply.status_code == 405
    assert set(reply.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert json.loads(reply.get_data())["error"]["code"] == "method_not_allowed"


def test_the_access_log_keeps_link_paths_but_not_their_tokens():
    line = '127.0.0.1 - - [25/Nov/2026 06:02:37] "%s HTTP/1.1" 200 1789 0.0007'
    hide = HideLinkTokens()
    for path, shown in [
        ("POST /respond/eyJhbGciOi.eyJzdWIi.c2lnbmF0", "POST /respond/…"),
        (
            "GET /notifications/digest-off/eyJ0eXAi.eyJvcmci.sig?x=1",
            "GET /notifications/digest-off/…?x=1",
        ),
        ("GET /api/needs/need_0123456789ab", "GET /api/needs/need_0123456789ab"),
    ]:
        record = logging.LogRecord("nameko.web.server", logging.INFO, "", 0, line % path, (), None)
        assert hide.filter(record)
        assert record.getMessage() == line % shown
