"""The postman's settings, read once from nameko's config when the service starts."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from tilts_contracts import settings
from tilts_contracts.tokens import link_key

# submissions over implicit TLS (RFC 8314): nobody speaks plaintext SMTP on this port
IMPLICIT_TLS_PORT = 465


@dataclass(frozen=True)
class SmtpConfig:
    """Where mail goes and how the session is secured."""

    host: str
    port: int
    starttls: bool  # upgrade a plaintext session (usually port 587)
    user: str
    password: str
    implicit_tls: bool = False  # TLS from the first byte (port 465)
    ca_file: str = ""  # a private CA's certificates (PEM) instead of the system's

    @property
    def encrypted(self) -> bool:
        """Whether the session is encrypted before any login (else no password is sent)."""
        return self.implicit_tls or self.starttls


@dataclass(frozen=True)
class PostmanConfig:
    """Who mail is from, where replies and links lead, and the retry schedule."""

    sender: str
    # replies when no coordinator posted the need; reviewers and gap alerts when nobody
    # follows the domain
    coordinator_email: str
    public_url: str
    secret: str  # signs the links in emails
    first_retry: timedelta
    max_attempts: int
    digest_hour: int  # on Riga's clock
    smtp: SmtpConfig

    @property
    def reply_to(self) -> str | None:
        return self.coordinator_email or None

    @classmethod
    def from_config(cls, config: Mapping) -> "PostmanConfig":
        def get(key: str) -> str:
            return settings.get(config, key)

        def number(key: str) -> float:
            return settings.number(config, key)

        port = number("SMTP_PORT")
        smtp = SmtpConfig(
            host=get("SMTP_HOST"),
            port=port,
            starttls=settings.flag(config, "SMTP_STARTTLS"),
            user=get("SMTP_USER"),
            password=get("SMTP_PASSWORD"),
            implicit_tls=settings.flag(config, "SMTP_TLS") or port == IMPLICIT_TLS_PORT,
            ca_file=get("SMTP_CA_FILE"),
        )
        return cls(
            sender=get("MAIL_FROM"),
            coordinator_email=get("COORDINATOR_EMAIL"),
            public_url=get("PUBLIC_URL").rstrip("/"),
            secret=link_key(config),  # not AUTH_SECRET: a link is no API token
            first_retry=timedelta(seconds=number("NOTIFY_RETRY_SECONDS")),
            max_attempts=number("NOTIFY_MAX_ATTEMPTS"),
            digest_hour=number("DIGEST_HOUR"),  # on Riga's clock
            smtp=smtp,
        )
