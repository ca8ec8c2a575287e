"""Rendering (Jinja2, lv/en, text and HTML) and delivery over real SMTP."""

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

from tilts_contracts import taxonomy

LANGUAGES = taxonomy.UI_LANGUAGES


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=ChainableUndefined,  # optional fields may be absent from a payload
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["taxonomy"] = taxonomy
    return env


def render(env: Environment, template: str, language: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML of `template` in `language` (lv or en)."""
    lang = language if language in LANGUAGES else "en"
    ctx = {**context, "lang": lang}
    subject = env.get_template(f"{lang}/{template}.subject.txt").render(ctx).strip()
    text = env.get_template(f"{lang}/{template}.txt").render(ctx)
    html = env.get_template(f"{lang}/{template}.html").render(ctx)
    return subject, text, html


def compose(sender: str, note: dict, subject: str, text: str, html: str) -> EmailMessage:
    """A multipart/alternative message; the subject is RFC 2047-encoded as needed."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = note["recipient"]
    msg["Subject"] = subject
    msg["Message-ID"] = note["message_id"]
    msg["X-Tilts-Notification"] = note["_id"]
    if note.get("reply_to"):
        msg["Reply-To"] = note["reply_to"]
    if note.get("list_unsubscribe"):  # digests: one-click opt-out (RFC 2369, RFC 8058)
        msg["List-Unsubscribe"] = f"<{note['list_unsubscribe']}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = note["language"]  # after: set_content clears Content-*
    return msg


def message_id(key: str, sender: str) -> str:
    """Fixed when the message is queued, so a resend after a crash can be recognised."""
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "tilts.local"
    return make_msgid(idstring=key.replace(":", "."), domain=domain)


class Mailer:
    """Sends through the configured SMTP server, a new connection per batch."""

    def __init__(
        self, host: str, port: int, starttls: bool, user: str, password: str, timeout: float = 15
    ):
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password, self.timeout = user, password, timeout

    def send(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(msg)
