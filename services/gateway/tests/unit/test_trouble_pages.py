"""A browser never gets the API's JSON error: the pages answer a backend that is down,
or a bad address, with a short page in the reader's language and the same status;
the commitment document's downloads (md, csv, json) keep the JSON shape."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from nameko.exceptions import RemoteError, UnknownService
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.api.http import BackendFailed, response_for
from gateway.service import GatewayService
from gateway.web import pages
from gateway.web.lastgood import LastGood
from gateway.web.session import csrf_of_session
from tilts_contracts.clock import utcnow
from tilts_contracts.errors import Unavailable
from tilts_contracts.tokens import sign_response_link, sign_unsubscribe_link

SECRET = "unit-test-secret-not-for-use-anywhere"


def request(path: str, method: str = "GET", language: str | None = None, **kwargs) -> Request:
    headers = {"Accept-Language": language} if language else {}
    return Request(
        EnvironBuilder(path=path, method=method, headers=headers, **kwargs).get_environ()
    )


@pytest.fixture
def gateway():
    config = SimpleNamespace(
        secret=SECRET, link_keys=[SECRET], timeout=1.0, templates=pages.environment()
    )
    return worker_factory(GatewayService, config=config, kept=LastGood())


def down(gateway, service: str, method: str) -> None:
    getattr(getattr(gateway, service), method).call_async.side_effect = UnknownService(service)


def html(reply, status: int, lang: str) -> str:
    assert reply.status_code == status
    assert reply.mimetype == "text/html"
    assert reply.headers["Content-Language"] == lang
    text = reply.get_data(as_text=True)
    assert f'<html lang="{lang}">' in text and 'role="alert"' in text
    assert '"error"' not in text
    return text


@pytest.mark.parametrize(
    "route, path",
    [("wall", "/wall"), ("dashboard", "/dashboard"), ("commitments", "/commitments")],
)
def test_a_public_page_with_pledges_down_asks_to_come_back(gateway, route, path):
    for method in ("resource_wall", "dashboard", "commitments"):
        down(gateway, "pledges", method)
    text = html(getattr(gateway, route)(request(path, language="en-GB")), 503, "en")
    assert "Please try again in a few minutes." in text
    assert f'href="{path}"' in text  # try again: the same page
    lv = html(getattr(gateway, route)(request(path, query_string="lang=lv")), 503, "lv")
    assert "mēģiniet vēlreiz pēc dažām minūtēm" in lv


def test_an_unknown_region_on_the_wall_is_a_page_naming_it(gateway):
    text = html(gateway.wall(request("/wall", query_string="region=xx&lang=en")), 400, "en")
    assert "region" in text and 'href="/wall?lang=en"' in text
    assert not gateway.pledges.resource_wall.call_async.called


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_the_commitment_downloads_keep_the_json_error(gateway, fmt):
    down(gateway, "pledges", "commitments")
    with pytest.raises(Unavailable):  # the route's error table answers it in JSON
        gateway.commitments(request("/commitments", query_string=f"format={fmt}"))


@pytest.mark.parametrize("act", [False, True])
def test_the_respond_page_with_matching_down_says_the_link_still_works(gateway, act):
    token = sign_response_link(
        SECRET, "mat_0123456789ab", "org_0123456789ab", utcnow() + timedelta(days=1)
    )
    down(gateway, "matching", "match_details")
    method, form = ("POST", {"action": "accept"}) if act else ("GET", None)
    handler = gateway.respond_action if act else gateway.respond_page
    reply = handler(request(f"/respond/{token}", method, "en", data=form), token)
    text = html(reply, 503, "en")
    assert "Your link still works: open it again later." in text
    assert f'href="/respond/{token}"' in text  # again: the page, not another POST


def test_the_digest_opt_out_with_notify_down_is_a_page(gateway):
    token = sign_unsubscribe_link(SECRET, "org_0123456789ab", utcnow() + timedelta(days=1))
    down(gateway, "notify", "digest_off")
    reply = gateway.digest_off(request(f"/notifications/digest-off/{token}", "POST", "lv"), token)
    assert "Jūsu saite joprojām ir derīga" in html(reply, 503, "lv")


def failing(gateway, service: str, method: str) -> None:
    """The backend answers with an error that is not a domain error: a bug there."""
    proxy = getattr(gateway, service)
    proxy.service_name = service
    reply = getattr(proxy, method).call_async.return_value
    reply.result.side_effect = RemoteError("KeyError", "'grid'")


@pytest.mark.parametrize(
    "route, path, method",
    [
        ("wall", "/wall", "resource_wall"),
        ("dashboard", "/dashboard", "dashboard"),
        ("commitments", "/commitments", "commitments"),
    ],
)
def test_a_backend_bug_behind_a_page_is_a_page_not_json(gateway, route, path, method):
    failing(gateway, "pledges", method)
    text = html(getattr(gateway, route)(request(path, language="lv")), 500, "lv")
    assert "Tilts nevarēja parādīt šo lapu." in text
    assert "KeyError" not in text  # what broke is for the log, not the reader


def test_a_backend_bug_behind_the_api_is_a_500_in_the_error_shape(gateway):
    failing(gateway, "pledges", "commitments")
    with pytest.raises(BackendFailed) as caught:
        gateway.commitments(request("/commitments", query_string="format=json"))
    reply = response_for(caught.value)
    assert reply.status_code == 500
    assert reply.json["error"]["code"] == "internal"
    assert reply.json["error"]["details"] == {"service": "pledges"}
    assert "KeyError" not in reply.get_data(as_text=True)


def test_a_form_field_that_is_not_utf8_is_named_and_percent_text_is_not():
    # werkzeug keeps undecodable bytes percent-encoded: they would be stored as typed
    body = b"title=%FF%FEx&unit=%25FF+ok&%C4%81=%C4%81"  # a typed "%FF" is fine
    form = request(
        "/org/offers", "POST", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert pages.undecodable(form) == ["title"]
    assert pages.undecodable(request("/org", "POST", data={"title": "Zupa ā"})) == []
    parts = b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\nZupa\xff\r\n--XX--\r\n'
    multipart = request("/org", "POST", data=parts, content_type="multipart/form-data; boundary=XX")
    assert pages.undecodable(multipart) == ["title"]


def signed_in_post(gateway, path: str, **form) -> Request:
    """A form POST of an organisation's contact with a session and its CSRF token."""
    gateway.config.link_key = SECRET
    me = {"kind": "organisation", "organisation_id": "org_1", "account": "org:org_1:a"}
    gateway.access.get.side_effect = lambda key, fetch: me
    sid = "s" * 40
    form = {"csrf": csrf_of_session(SECRET, sid), **form}
    sent = request(path, "POST", "en", data=form, query_string="lang=en")
    sent.environ["HTTP_COOKIE"] = f"tilts_session={sid}"
    return Request(sent.environ)


def test_an_org_form_sent_while_a_backend_is_down_keeps_what_was_typed(gateway):
    down(gateway, "pledges", "pledge_offer")
    sent = signed_in_post(gateway, "/org/offers", title="Zupa <ģimenēm>", nonce="n1")
    text = html(gateway.org_offers_add(sent), 503, "en")
    assert 'action="/org/offers?lang=en"' in text and "Send again" in text
    assert 'name="title" value="Zupa &lt;ģimenēm&gt;"' in text
    assert 'name="nonce" value="n1"' in text  # sent again, it makes no second offer


def test_a_token_form_sent_while_the_registry_is_down_is_a_page_not_json(gateway):
    down(gateway, "registry", "make_token")
    sent = signed_in_post(gateway, "/org/tokens", name="Mūsu skripts", days="30")
    text = html(gateway.landing_make_token(sent, "org"), 503, "en")
    assert 'name="name" value="Mūsu skripts"' in text


def test_an_org_page_with_the_registry_down_is_a_page_keeping_the_form(gateway):
    sent = signed_in_post(gateway, "/org/profile", name="Jaunais nosaukums")
    gateway.access.get.side_effect = lambda key, fetch: fetch()  # nothing kept yet
    down(gateway, "registry", "session")
    text = html(gateway.org_profile_save(sent), 503, "en")
    assert 'name="name" value="Jaunais nosaukums"' in text
