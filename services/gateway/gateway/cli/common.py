"""What every `tilts` command shares: settings and an authenticated API session."""

import requests

from tilts_contracts.tokens import issue_token


def api_session(config: dict, role: str = "admin") -> tuple[requests.Session, str]:
    """A session that sends a short-lived token, and the gateway's base URL."""
    session = requests.Session()
    token = issue_token(config["AUTH_SECRET"], role, sub="tilts-cli", days=1)
    session.headers["Authorization"] = f"Bearer {token}"
    return session, config["PUBLIC_URL"].rstrip("/")
