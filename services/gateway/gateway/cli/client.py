"""How `tilts` speaks to the gateway for a person: with their own API token, and in
the API's own words when it refuses."""

import json

import requests

from tilts_contracts import settings

# how long one request may take before the gateway counts as unreachable
TIMEOUT_SECONDS = 30


class Refused(Exception):
    """The gateway answered, and said no (4xx or 5xx): `str()` is the API's message."""


class Unreachable(Exception):
    """No answer from the gateway at all."""


def unreachable(base: str, exc: BaseException) -> str:
    """The one line every command says when the gateway does not answer at all."""
    return (
        f"cannot reach the gateway at {base} ({exc.__class__.__name__}) / vārteja {base} neatbild"
    )


class NoToken(Exception):
    """Nothing to sign in with: the caller must set a token first."""


def personal_token(config: dict) -> str | None:
    """The caller's own API token. Read in one place only, so stored tokens (`tilts
    login`) can be looked up here as well; never the server's AUTH_SECRET."""
    return (config.get("TILTS_TOKEN") or "").strip() or settings.cli_token() or None


def api_message(reply: requests.Response) -> str:
    """What the API said went wrong, from its error body: `400 invalid: ... {details}`."""
    try:
        error = reply.json()["error"]
        details = error.get("details") or {}
        shown = f" {json.dumps(details, ensure_ascii=False)}" if details else ""
        return f"{reply.status_code} {error['code']}: {error['message']}{shown}"
    except (ValueError, KeyError, TypeError):
        return f"{reply.status_code}: {reply.text[:300]}"


class Api:
    """The gateway's HTTP API at PUBLIC_URL, as the person whose token this is."""

    def __init__(self, config: dict):
        token = personal_token(config)
        if token is None:
            raise NoToken(
                "no API token: set TILTS_TOKEN to your personal token "
                "(POST /api/tokens) / nav API marķiera: iestatiet TILTS_TOKEN"
            )
        self.base = config["PUBLIC_URL"].rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs) -> dict:
        """The API's JSON answer; Refused with its message, or Unreachable."""
        try:
            reply = self.session.request(
                method, f"{self.base}{path}", timeout=TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as exc:
            raise Unreachable(unreachable(self.base, exc)) from None
        if reply.status_code >= 400:
            raise Refused(api_message(reply))
        try:
            return reply.json()
        except ValueError:
            raise Refused(f"{reply.status_code}: not JSON: {reply.text[:200]}") from None

    def close(self) -> None:
        self.session.close()
