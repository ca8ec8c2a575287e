"""The session cookie and CSRF tokens of the pages.

A session is a random id in the cookie `tilts_session` (HttpOnly, SameSite=Lax, Secure
on https), stored server side by the registry. Every form POST carries a CSRF token:
with a session, HMAC(link key, session id); before one (the sign-in form), the value
of the cookie `tilts_csrf`, sent again in the form (double submit).
"""

import hashlib
import hmac
import secrets

from tilts_contracts.errors import Forbidden

SESSION_COOKIE = "tilts_session"
CSRF_COOKIE = "tilts_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"  # the same token, from a script calling /api/tokens
SESSION_DAYS = 14


class CsrfRefused(Forbidden):
    """A form POST without the CSRF token this browser was given."""


def session_id(request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE, "")
    return value if 10 <= len(value) <= 200 else None


def csrf_of_session(key: str, sid: str) -> str:
    return hmac.new(key.encode(), f"csrf:{sid}".encode(), hashlib.sha256).hexdigest()


def form_csrf(request, key: str) -> tuple[str, str | None]:
    """The token a form rendered now carries, and a new `tilts_csrf` cookie to set
    (None when the browser has one, or has a session)."""
    sid = session_id(request)
    if sid:
        return csrf_of_session(key, sid), None
    held = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(held) <= 100:
        return held, None
    fresh = secrets.token_urlsafe(24)
    return fresh, fresh


def check_csrf(request, key: str, sent: str | None = None) -> None:
    """Refuse (403) a POST whose token is not this browser's."""
    sent = sent if sent is not None else request.form.get(CSRF_FIELD, "")
    sid = session_id(request)
    good = []
    if sid:
        good.append(csrf_of_session(key, sid))
    held = request.cookies.get(CSRF_COOKIE, "")
    if len(held) >= 20:
        good.append(held)
    if not sent or not any(hmac.compare_digest(sent, g) for g in good):
        raise CsrfRefused(
            "this form is out of date or was not sent from Tilts", {"csrf": ["missing or wrong"]}
        )


def set_cookie(response, name: str, value: str, secure: bool, days: float | None = None) -> None:
    max_age = int(days * 86400) if days else None
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="Lax"
    )


def clear_cookie(response, name: str, secure: bool) -> None:
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
