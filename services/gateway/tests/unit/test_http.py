"""Reading JSON bodies: bad input is a 400 naming the body, never a 500."""

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.http import read_json
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
