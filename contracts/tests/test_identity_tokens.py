"""Personal and operator API tokens, and the separate key of emailed links."""

from datetime import timedelta

import jwt
import pytest

from tilts_contracts import tokens
from tilts_contracts.clock import utcnow
from tilts_contracts.errors import Invalid, Unauthenticated

SECRET = "s" * 40
ISSUER = "https://tilts.example.lv"
STAFF = {"account": "staff:abc", "role": "coordinator", "domains": ["health"]}


def personal(secret=SECRET, issuer=ISSUER, **identity):
    expires = utcnow() + timedelta(days=1)
    return tokens.issue_personal_token(secret, {**STAFF, **identity}, "tok_1", issuer, expires)


def test_hkdf_matches_rfc_5869_without_salt():
    okm = tokens.hkdf_sha256(bytes([0x0B] * 22), b"", 42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_a_personal_token_carries_who_what_and_its_id():
    claims = tokens.read_token(SECRET, personal(), ISSUER)
    assert claims["sub"] == "staff:abc" and claims["kind"] == "personal"
    assert claims["jti"] == "tok_1" and claims["aud"] == "tilts-api"
    assert claims["domains"] == ["health"] and claims["iss"] == ISSUER


def test_a_token_of_another_issuer_or_audience_is_refused():
    with pytest.raises(Unauthenticated, match="another server"):
        tokens.read_token(SECRET, personal(issuer="https://evil.example"), ISSUER)
    now = utcnow()
    other = jwt.encode(
        {
            "sub": "staff:abc",
            "kind": "personal",
            "role": "admin",
            "jti": "x",
            "iss": ISSUER,
            "aud": "someone-else",
            "exp": now + timedelta(hours=1),
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(Unauthenticated, match="audience"):
        tokens.read_token(SECRET, other, ISSUER)


def test_a_personal_token_without_its_id_is_refused():
    bare = jwt.encode(
        {
            "sub": "staff:abc",
            "kind": "personal",
            "role": "admin",
            "iss": ISSUER,
            "aud": "tilts-api",
            "exp": utcnow() + timedelta(hours=1),
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(Unauthenticated, match="id, issuer"):
        tokens.read_token(SECRET, bare, ISSUER)


def test_an_operator_token_lives_a_day_and_at_most_thirty():
    claims = tokens.read_token(SECRET, tokens.issue_operator_token(SECRET, "admin", ISSUER), ISSUER)
    assert claims["kind"] == "operator" and claims["sub"] == "operator"
    assert claims["exp"] - claims["iat"] == 24 * 3600
    with pytest.raises(Invalid):
        tokens.issue_operator_token(SECRET, "admin", ISSUER, days=31)


def test_links_are_signed_with_a_key_of_their_own():
    config = {"AUTH_SECRET": SECRET}
    key = tokens.link_key(config)
    assert key != SECRET and key == tokens.link_key(dict(config))
    assert tokens.link_key({**config, "LINK_SECRET": "l" * 40}) == "l" * 40
    link = tokens.sign_response_link(key, "mat_1", "org_1", utcnow() + timedelta(hours=1))
    with pytest.raises(Unauthenticated):  # a link is no API token
        tokens.read_token(SECRET, link)
    with pytest.raises(tokens.LinkInvalid):  # nor readable with the API key alone
        tokens.read_response_link(SECRET, link)
    assert tokens.read_response_link(tokens.link_keys(config), link)["match"] == "mat_1"


def test_a_respond_link_signed_the_old_way_still_works_until_it_expires():
    keys = tokens.link_keys({"AUTH_SECRET": SECRET})
    old = tokens.sign_response_link(SECRET, "mat_1", "org_1", utcnow() + timedelta(hours=1))
    assert tokens.read_response_link(keys, old)["org"] == "org_1"
    late = tokens.sign_response_link(SECRET, "mat_1", "org_1", utcnow() - timedelta(hours=1))
    with pytest.raises(tokens.LinkExpired):
        tokens.read_response_link(keys, late)
    forged = tokens.sign_response_link("x" * 40, "mat_1", "org_1", utcnow() + timedelta(hours=1))
    with pytest.raises(tokens.LinkInvalid):
        tokens.read_response_link(keys, forged)
