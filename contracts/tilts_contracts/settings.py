"""Configuration from the environment, with defaults that work on a laptop.

Services get these keys through nameko's config (deploy/nameko.yml takes the same
variables, raw, with the same defaults); tools and tests call `from_env()`. Every value
is the string as set: an empty one means unset.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

DEFAULTS: dict[str, str] = {
    "AMQP_URI": "amqp://guest:guest@localhost:5672/",
    "MONGO_URI": "mongodb://localhost:27017/",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": "1025",
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": "false",
    # TLS from the first byte (implicit TLS; port 465 turns it on by itself)
    "SMTP_TLS": "false",
    # a PEM file of the CA certificates to trust for SMTP instead of the system's
    "SMTP_CA_FILE": "",
    "MAIL_FROM": "Tilts <tilts@localhost>",
    "PUBLIC_URL": "http://localhost:8000",
    "HTTP_PORT": "8000",
    # the address the gateway listens on (make run: 127.0.0.1 unless set); backends
    # serve their metrics on it too
    "HTTP_HOST": "0.0.0.0",
    # a backend's Prometheus metrics port (empty: not served); the gateway's are at /metrics
    "METRICS_PORT": "",
    # a bearer token that lets the gateway's /metrics be read through a proxy (empty: only
    # requests that came in no proxy's way, from inside the cluster network)
    "METRICS_TOKEN": "",
    "AUTH_SECRET": "dev-only-secret-change-me-in-production",
    # signs emailed links (respond, sign-in, unsubscribe); empty: derived from AUTH_SECRET
    "LINK_SECRET": "",
    # how many proxies in front of the gateway may set X-Forwarded-For (0: none)
    "TRUSTED_PROXIES": "0",
    "RPC_TIMEOUT": "10",
    # seconds each gateway process keeps the registry's answer on a token or session: a
    # revoked token or a suspended organisation is refused at most this much later
    "ACCESS_CACHE_SECONDS": "30",
    # seconds the gateway waits for a whole request body before answering 408
    "BODY_TIMEOUT": "30",
    "COORDINATOR_EMAIL": "",
    "CORS_ORIGINS": "",
    "NOTIFY_RETRY_SECONDS": "10",
    "NOTIFY_MAX_ATTEMPTS": "8",
    "DIGEST_HOUR": "7",
    "RESPOND_HOURS": "critical=4,high=24,normal=72,low=168",
    # days a need's description and case_ref are kept after it is fulfilled, cancelled
    # or left unmatched
    "RETENTION_DAYS": "180",
    # a file each backend process touches every few seconds: its container's liveness
    # probe checks the age (empty: none; the images set /tmp/tilts-alive)
    "HEARTBEAT_FILE": "",
    # tests only: lets matching's clock be moved over RPC
    "TEST_CLOCK": "false",
    # fault injection for tests only: event types after whose write a service exits
    "FAULT_EXIT_AFTER_WRITE": "",
}


# the numbers among them: (lowest, highest, whole numbers only, unit), checked at start
RANGES: dict[str, tuple[float, float, bool, str]] = {
    "SMTP_PORT": (1, 65535, True, ""),
    "TRUSTED_PROXIES": (0, 10, True, ""),
    "RPC_TIMEOUT": (0.1, 600, False, "seconds"),
    "ACCESS_CACHE_SECONDS": (0, 300, False, "seconds"),
    "BODY_TIMEOUT": (1, 600, False, "seconds"),
    "NOTIFY_RETRY_SECONDS": (0.1, 86400, False, "seconds"),
    "NOTIFY_MAX_ATTEMPTS": (1, 100, True, ""),
    "DIGEST_HOUR": (0, 23, True, ""),  # on Riga's clock
    "RETENTION_DAYS": (1, 36500, True, "days"),  # a century at most
}

# the secret `make run` made; `tilts` run in the checkout uses it when AUTH_SECRET is unset
LOCAL_SECRET_FILE = Path("var") / "auth_secret"


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every setting, read once from `environ` (default: the process environment, and
    make run's secret in var/ when AUTH_SECRET is unset)."""
    source = os.environ if environ is None else environ
    config = {key: source.get(key) or default for key, default in DEFAULTS.items()}
    if environ is None and not source.get("AUTH_SECRET") and LOCAL_SECRET_FILE.is_file():
        config["AUTH_SECRET"] = LOCAL_SECRET_FILE.read_text().strip()
    # the `tilts` command line's own: the person's API token (no service reads it)
    config["TILTS_TOKEN"] = source.get("TILTS_TOKEN") or ""
    return config


def database_name(service: str) -> str:
    """Each service owns one database; no service opens another's."""
    return f"tilts_{service}"


def get(config: Mapping, key: str) -> str:
    """A setting from a nameko config as a string; unset or empty gives the default."""
    value = config.get(key)
    if value is None or value == "":
        return DEFAULTS.get(key, "")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def number(config: Mapping, key: str) -> float:
    """A numeric setting within its RANGES, or SystemExit naming it: read at start, an
    operator's typo stops the service with one line, not a traceback or a 500 later."""
    low, high, whole, unit = RANGES[key]
    raw = get(config, key).strip()
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:  # NaN fails the comparison too
        kind = ("a whole number" if whole else "a number") + (f" of {unit}" if unit else "")
        raise SystemExit(f"tilts: {key} must be {kind}, {low:g} to {high:g}: {raw!r}")
    return value


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
        f"refusing to use AUTH_SECRET: it {why}, and PUBLIC_URL {public_url} is not "
        "a local address; set AUTH_SECRET to a long random string (openssl rand -hex 32)"
    )


class SecretRefused(ValueError):
    """AUTH_SECRET is one anyone could sign with, and PUBLIC_URL is not local."""


def signing_secret(config: Mapping) -> str:
    """AUTH_SECRET for signing tokens, unless `secret_problem` refuses it."""
    problem = secret_problem(config)
    if problem:
        raise SecretRefused(problem)
    return get(config, "AUTH_SECRET")


# -- the command line's own token (a person's, never the server's secret) ----------------
TOKEN_VARIABLE = "TILTS_TOKEN"


def token_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where `tilts login` keeps the personal token: $XDG_CONFIG_HOME/tilts/token."""
    source = os.environ if environ is None else environ
    base = source.get("XDG_CONFIG_HOME") or str(Path(source.get("HOME") or "~") / ".config")
    return Path(base).expanduser() / "tilts" / "token"


def cli_token(environ: Mapping[str, str] | None = None) -> str:
    """The personal token the command line sends: TILTS_TOKEN, else the stored one."""
    source = os.environ if environ is None else environ
    if source.get(TOKEN_VARIABLE, "").strip():
        return source[TOKEN_VARIABLE].strip()
    stored = token_file(source)
    return stored.read_text().strip() if stored.is_file() else ""
