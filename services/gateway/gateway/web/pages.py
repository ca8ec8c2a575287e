"""What every page shares: templates (Jinja2), the reader's language, pages of trouble."""

from urllib.parse import parse_qsl

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.wrappers import Response

from tilts_contracts import localtime, taxonomy
from tilts_contracts.errors import TiltsError

from ..api.base import Routes, Settings
from ..formats.commitments import amount
from .words import CHROME, TEXT, TROUBLE

HTML = "text/html; charset=utf-8"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("gateway.web", "templates"),
        autoescape=select_autoescape(default=True),
    )
    env.globals["taxonomy"] = taxonomy
    env.globals["chrome"] = CHROME  # the frame's words: every page renders base.html
    env.filters["until"] = localtime.until  # Riga time, the zone named, lv or en
    env.filters["at"] = localtime.at
    env.filters["amount"] = amount  # "3 consultations a week"
    return env


class PageSettings(Settings):
    """The API's settings, and the templates the pages render."""

    def setup(self):
        super().setup()
        self.templates = environment()


class PageRoutes(Routes):
    """Base of the page groups: the routes' dependencies, with templates."""

    config: PageSettings = PageSettings()


def language(request, default: str | None = None) -> str:
    """`?lang=` first, then the organisation's own language, then Accept-Language."""
    asked = request.args.get("lang")
    if asked in taxonomy.UI_LANGUAGES:
        return asked
    if default in taxonomy.UI_LANGUAGES:
        return default
    best = request.accept_languages.best_match(taxonomy.UI_LANGUAGES)
    return best or "lv"


def negotiated(response: Response, lang: str) -> Response:
    """The language came from Accept-Language (unless ?lang= chose it): caches must
    keep one copy per language, not hand the first reader's to everyone."""
    response.vary.add("Accept-Language")
    response.headers["Content-Language"] = lang
    return response


def page(service, template: str, status: int = 200, **context) -> Response:
    """A page behind an organisation's own link: in its language, kept by no shared cache."""
    lang = context.get("lang", "lv")
    body = service.config.templates.get_template(template).render(t=TEXT[lang], **context)
    response = negotiated(Response(body, status=status, content_type=HTML), lang)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _trouble_words(request, exc: TiltsError, lang: str, link: bool):
    """(title, lines, (href, label)) of the page that stands for `exc`."""
    t = TROUBLE[lang]
    query = request.query_string.decode("latin-1")
    here = request.path + (f"?{query}" if query and request.method == "GET" else "")
    if exc.status == 503:
        lines = [t["unavailable"], t["try_later"]] + ([t["link_works"]] if link else [])
        return t["unavailable_title"], lines, (here, t["again"])
    if exc.status == 400:
        fields = ", ".join(sorted(exc.details)) or "?"
        lines = [t["invalid"].format(fields=fields), t["fix"]]
        return t["invalid_title"], lines, (f"{request.path}?lang={lang}", t["start"])
    return t["other_title"], [t["other"], t["try_later"]], (here, t["again"])


def _kept(request) -> dict | None:
    """A form posted while a backend was down: where it went and what it said, for a
    "send again" button (nothing typed is lost; its CSRF token still holds)."""
    if request.method != "POST" or not request.form:
        return None
    query = request.query_string.decode("latin-1")
    return {
        "to": request.path + (f"?{query}" if query else ""),
        "fields": list(request.form.items(multi=True)),
    }


def trouble(service, request, exc: TiltsError, lang: str, link: bool = False) -> Response:
    """A page instead of the JSON error, with its status: a backend that is down asks
    the reader to come back (`link`: the emailed link they opened still works then;
    a form keeps what was typed, to send again), a bad address names what is wrong."""
    title, lines, action = _trouble_words(request, exc, lang, link)
    kept = _kept(request) if exc.status == 503 and not link else None
    if kept:
        lines = [*lines, TROUBLE[lang]["kept"]]
        kept["label"] = TROUBLE[lang]["send_kept"]
    response = page(
        service,
        "trouble.html",
        exc.status,
        lang=lang,
        title=title,
        lines=lines,
        action=action,
        kept=kept,
    )
    if exc.status == 503:
        response.headers["Retry-After"] = "120"
    return response


def undecodable(request) -> list[str]:
    """The fields of a posted form whose bytes are not UTF-8. A browser never sends
    them; werkzeug would keep them percent-encoded (or, in a multipart form, replace
    them with U+FFFD), stored as though typed."""
    if request.mimetype == "multipart/form-data":
        return [k[:40] for k, v in request.form.items(multi=True) if "\ufffd" in v][:10]
    if request.mimetype != "application/x-www-form-urlencoded":
        return []
    raw = request.get_data(cache=True).decode("latin-1")  # read already (edge.read_body)
    bad = []
    for name, value in parse_qsl(raw, keep_blank_values=True, encoding="latin-1"):
        try:
            name.encode("latin-1").decode("utf-8")
            value.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            bad.append(name.encode("latin-1").decode("utf-8", "replace")[:40])
    return list(dict.fromkeys(bad))[:10]


def unreadable(service, request, fields: list[str], lang: str) -> Response:
    """400: a form whose `fields` did not arrive as text; nothing of it is kept."""
    t = TROUBLE[lang]
    lines = [t["unreadable"].format(fields=", ".join(fields)), t["send_again"]]
    action = (f"{request.path}?lang={lang}", t["start"])
    title = t["unreadable_title"]
    return page(service, "trouble.html", 400, lang=lang, title=title, lines=lines, action=action)
