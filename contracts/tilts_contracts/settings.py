"""Configuration from the environment, with defaults that work on a laptop.

Services get these keys through nameko's config (deploy/nameko.yml interpolates the
same variables with the same defaults); tools and tests call `from_env()`.
"""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

DEFAULTS: dict[str, str] = {
    "AMQP_URI": "amqp://guest:guest@localhost:5672/",
    "MONGO_URI": "mongodb://localhost:27017/",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": "1025",
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": "false",
    "MAIL_FROM": "Tilts <tilts@localhost>",
    "PUBLIC_URL": "http://localhost:8000",
    "HTTP_PORT": "8000",
    "AUTH_SECRET": "dev-only-secret-change-me-in-production",
    "RPC_TIMEOUT": "10",
    "COORDINATOR_EMAIL": "",
    "CORS_ORIGINS": "",
    "NOTIFY_RETRY_SECONDS": "10",
    "NOTIFY_MAX_ATTEMPTS": "8",
    "DIGEST_HOUR": "7",
    "RESPOND_HOURS": "critical=4,high=24,normal=72,low=168",
    # a file each backend process touches every few seconds: its container's liveness
    # probe checks the age (empty: none; the images set /tmp/tilts-alive)
    "HEARTBEAT_FILE": "",
    # tests only: lets matching's clock be moved over RPC
    "TEST_CLOCK": "false",
    # fault injection for tests only: event types after whose write a service exits
    "FAULT_EXIT_AFTER_WRITE": "",
}


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every setting, read once from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    return {key: environ.get(key) or default for key, default in DEFAULTS.items()}


def database_name(service: str) -> str:
    """Each service owns one database; no service opens another's."""
    return f"tilts_{service}"


def get(config: Mapping, key: str) -> str:
    """A setting from a nameko config as a string ('' for unset), whatever YAML made of it."""
    value = config.get(key)
    if value is None:
        return "" if key in DEFAULTS and DEFAULTS[key] == "" else DEFAULTS.get(key, "")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flag(config: Mapping, key: str) -> bool:
    return get(config, key).strip().lower() in {"1", "true", "yes", "on"}


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def secret_problem(config: Mapping) -> str | None:
    """Why AUTH_SECRET must not be used where PUBLIC_URL points, or None if it may.

    Anyone can read the development default and the examples' placeholders in the
    repository and sign tokens with them: fine on a laptop, never on a public address.
    """
    secret = get(config, "AUTH_SECRET")
    public_url = get(config, "PUBLIC_URL")
    host = (urlsplit(public_url).hostname or "").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127."):
        return None
    if secret == DEFAULTS["AUTH_SECRET"]:
        why = "is the development default"
    elif "change-me" in secret.lower():
        why = "is a placeholder (CHANGE-ME)"
    elif len(secret.encode()) < 32:
        why = "is shorter than 32 bytes"
    else:
        return None
    return (
        f"tilts: refusing to start: AUTH_SECRET {why}, and PUBLIC_URL {public_url} is not "
        "a local address; set AUTH_SECRET to a long random string (openssl rand -hex 32)"
    )
