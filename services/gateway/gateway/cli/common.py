"""What every `tilts` command shares: settings and an authenticated API session."""

import requests

from tilts_contracts import settings
from tilts_contracts.tokens import issue_operator_token


def api_session(config: dict, role: str = "admin") -> tuple[requests.Session, str]:
    """A session that sends the person's own token (TILTS_TOKEN, or the one `tilts
    login` stored), and the gateway's base URL. Without one, the operator's: a token
    signed here with AUTH_SECRET, living a day (how the first admin is made)."""
    session = requests.Session()
    base = config["PUBLIC_URL"].rstrip("/")
    token = settings.cli_token()
    if not token:
        secret = settings.signing_secret(config)
        token = issue_operator_token(secret, role, base)
    session.headers["Authorization"] = f"Bearer {token}"
    return session, base
