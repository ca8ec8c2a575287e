"""What an email says and looks like: Jinja2 templates in lv and en, text and HTML,
made into one MIME message with one-line headers."""

import unicodedata
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

from tilts_contracts import localtime, taxonomy

LANGUAGES = taxonomy.UI_LANGUAGES
# control characters, line and paragraph separators, spaces of every width (and lone
# surrogates, which no header can carry)
BREAKING = {"Cc", "Cs", "Zl", "Zp", "Zs"}


def plural(n: int, lang: str, one: str, many: str) -> str:
    """The noun form after a number: Latvian takes the singular after 1, 21, 31 ... but
    not 11 ("1 lūgums", "21 lūgums", "11 lūgumi"); English after 1 alone."""
    if lang == "lv":
        return one if n % 10 == 1 and n % 100 != 11 else many
    return one if n == 1 else many


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=ChainableUndefined,  # optional fields may be absent from a payload
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["taxonomy"] = taxonomy
    env.filters["until"] = localtime.until  # {{ match.respond_by|until(lang) }}
    env.filters["plural"] = plural  # {{ n|plural(lang, "lūgums", "lūgumi") }}
    return env


def one_line(value: object) -> str:
    """A header value on one line: line breaks (CR, LF, U+2028/2029, NEL) and other
    control characters become spaces, runs of spaces one. A need title pasted from a
    document must not make its email unsendable."""
    text = "".join(" " if unicodedata.category(c) in BREAKING else c for c in str(value or ""))
    return " ".join(text.split())


def render(env: Environment, template: str, language: str, context: dict) -> tuple[str, str, str]:
    """Subject (one line), plain text and HTML of `template` in `language` (lv or en)."""
    lang = language if language in LANGUAGES else "en"
    ctx = {**context, "lang": lang}
    subject = one_line(env.get_template(f"{lang}/{template}.subject.txt").render(ctx))
    text = env.get_template(f"{lang}/{template}.txt").render(ctx)
    html = env.get_template(f"{lang}/{template}.html").render(ctx)
    return subject, text, html


def recipient_name(note: dict) -> str:
    """Whom the message greets in To: the organisation, or the coordinator by name."""
    context = note.get("context") or {}
    who = context.get("organisation" if note.get("organisation_id") else "subscriber")
    return one_line(who.get("name")) if isinstance(who, dict) else ""


def compose(
    sender: str, note: dict, subject: str, text: str, html: str, now: datetime
) -> EmailMessage:
    """A multipart/alternative message, dated `now` (this attempt); every header one line,
    the subject and names RFC 2047-encoded as needed. Raises on anything unsendable,
    so a bad message is known before SMTP is asked."""
    msg = EmailMessage()
    msg["From"] = one_line(sender)
    msg["To"] = Address(display_name=recipient_name(note), addr_spec=one_line(note["recipient"]))
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = one_line(note["message_id"])
    msg["X-Tilts-Notification"] = one_line(note["_id"])
    if note.get("reply_to"):
        msg["Reply-To"] = one_line(note["reply_to"])
    if note.get("list_unsubscribe"):  # digests: one-click opt-out (RFC 2369, RFC 8058)
        msg["List-Unsubscribe"] = f"<{one_line(note['list_unsubscribe'])}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = note["language"]  # after: set_content clears Content-*
    msg.as_bytes()  # flatten once here: what cannot be written fails now, not at SMTP
    return msg


def message_id(key: str, sender: str) -> str:
    """Fixed when the message is queued, so a resend after a crash can be recognised."""
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "tilts.local"
    return make_msgid(idstring=key.replace(":", "."), domain=domain)
