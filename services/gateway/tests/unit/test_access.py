"""The gateway's side of access: the registry's answers kept at most 30 s, CSRF tokens
bound to the session or to the browser's cookie, and the client behind trusted proxies."""

from types import SimpleNamespace

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import Map
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request, Response

from gateway.api import access
from gateway.api.server import TiltsWebServer
from gateway.web import session

KEY = "k" * 64


def test_an_answer_is_kept_thirty_seconds_then_asked_again(monkeypatch):
    cache = access.AccessCache()
    cache.container = SimpleNamespace(config={})  # the defaults, as deploy/nameko.yml
    cache.setup()
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(access.time, "monotonic", lambda: clock.now)
    asked = []

    def fetch():
        asked.append(1)
        return {"account": "staff:s1"} if len(asked) == 1 else None

    assert cache.get(("token", "t"), fetch) == {"account": "staff:s1"}
    clock.now += 29
    assert cache.get(("token", "t"), fetch) == {"account": "staff:s1"}  # still kept
    clock.now += 2
    assert cache.get(("token", "t"), fetch) is None  # revoked meanwhile: now known
    assert len(asked) == 2


@pytest.mark.parametrize("raw", ["soon", "-1", "301", "nan"])
def test_a_cache_time_that_is_not_0_to_300_seconds_stops_the_start_saying_so(raw):
    with pytest.raises(SystemExit, match="ACCESS_CACHE_SECONDS"):
        access.cache_seconds({"ACCESS_CACHE_SECONDS": raw})


def request(form=None, cookies=None) -> Request:
    builder = EnvironBuilder(method="POST", data=form or {})
    for name, value in (cookies or {}).items():
        builder.headers.add("Cookie", f"{name}={value}")
    return Request(builder.get_environ())


def test_a_form_needs_the_token_of_its_session_or_of_its_browser():
    sid = "s" * 43
    good = session.csrf_of_session(KEY, sid)
    session.check_csrf(request({"csrf": good}, {session.SESSION_COOKIE: sid}), KEY)
    for sent in ("", "0" * 64, session.csrf_of_session(KEY, "another-session-id")):
        with pytest.raises(session.CsrfRefused):
            session.check_csrf(request({"csrf": sent}, {session.SESSION_COOKIE: sid}), KEY)
    browser = "b" * 32
    session.check_csrf(request({"csrf": browser}, {session.CSRF_COOKIE: browser}), KEY)
    with pytest.raises(session.CsrfRefused):  # the cookie alone is not enough
        session.check_csrf(request({}, {session.CSRF_COOKIE: browser}), KEY)


@pytest.mark.parametrize("hops, client", [("0", "10.0.0.1"), ("1", "10.0.0.2")])
def test_the_client_is_the_peer_unless_proxies_are_trusted(hops, client):
    server = SimpleNamespace(
        container=SimpleNamespace(config={"TRUSTED_PROXIES": hops}), make_url_map=Map
    )
    app = TiltsWebServer.get_wsgi_app(server)
    seen = {}

    def remember(environ, start_response):
        seen["client"] = Request(environ).remote_addr
        return Response("")(environ, start_response)

    if isinstance(app, ProxyFix):
        app.app = remember
    else:
        app = remember
    headers = {"X-Forwarded-For": "203.0.113.7, 10.0.0.2"}
    Client(app).get("/", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["client"] == client
