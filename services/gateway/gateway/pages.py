"""Server-rendered pages (Jinja2, Latvian and English)."""

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.wrappers import Response

from tilts_contracts import taxonomy
from tilts_contracts.errors import Conflict, Forbidden, NotFound
from tilts_contracts.tokens import LinkExpired, LinkInvalid, read_response_link

HTML = "text/html; charset=utf-8"

TEXT = {
    "lv": {
        "title": "Lūgums palīdzēt",
        "intro": "Tilts lūdz jūsu palīdzību šādai vajadzībai:",
        "need": "Vajadzība",
        "domain": "Joma",
        "region": "Reģions",
        "quantity": "Daudzums",
        "urgency": "Steidzamība",
        "needed_by": "Vajadzīgs līdz",
        "respond_by": "Atbildēt līdz",
        "offer": "Jūsu piedāvājums",
        "accept": "Pieņemt",
        "decline": "Atteikt",
        "accepted": "Paldies! Jūs pieņēmāt lūgumu. Koordinators ar jums sazināsies.",
        "declined": "Paldies par atbildi. Lūgums nodots nākamajam palīdzētājam.",
        "already": "Uz šo lūgumu jau ir atbildēts (statuss: {status}).",
        "expired": "Šīs saites derīguma termiņš ir beidzies. Lūgums, iespējams, jau nodots citam.",
        "invalid": "Šī saite nav derīga. Pārbaudiet, vai nokopējāt to pilnībā.",
        "bad_action": "Izvēlieties “Pieņemt” vai “Atteikt”.",
        "other_lang": "English",
    },
    "en": {
        "title": "Request for help",
        "intro": "Tilts asks for your help with this need:",
        "need": "Need",
        "domain": "Domain",
        "region": "Region",
        "quantity": "Quantity",
        "urgency": "Urgency",
        "needed_by": "Needed by",
        "respond_by": "Answer by",
        "offer": "Your offer",
        "accept": "Accept",
        "decline": "Decline",
        "accepted": "Thank you! You accepted the request. A coordinator will contact you.",
        "declined": "Thank you for answering. The request goes to the next helper.",
        "already": "This request has already been answered (status: {status}).",
        "expired": "This link has expired. The request may have gone to someone else.",
        "invalid": "This link is not valid. Check that you copied all of it.",
        "bad_action": "Choose “Accept” or “Decline”.",
        "other_lang": "Latviešu",
    },
}


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("gateway", "templates"),
        autoescape=select_autoescape(default=True),
    )
    env.globals["taxonomy"] = taxonomy
    return env


def language(request, default: str | None = None) -> str:
    """`?lang=` first, then the organisation's own language, then Accept-Language."""
    asked = request.args.get("lang")
    if asked in taxonomy.UI_LANGUAGES:
        return asked
    if default in taxonomy.UI_LANGUAGES:
        return default
    best = request.accept_languages.best_match(taxonomy.UI_LANGUAGES)
    return best or "lv"


def page(service, template: str, status: int = 200, **context) -> Response:
    lang = context.get("lang", "lv")
    body = service.config.templates.get_template(template).render(t=TEXT[lang], **context)
    return Response(body, status=status, content_type=HTML)


def respond(service, request, token: str, act: bool) -> Response:
    """The page behind an emailed link: GET only shows, POST acts once."""
    try:
        link = read_response_link(service.config.secret, token)
    except LinkExpired:
        lang = language(request)
        return page(service, "respond_done.html", 410, lang=lang, message=TEXT[lang]["expired"])
    except LinkInvalid:
        lang = language(request)
        return page(service, "respond_done.html", 404, lang=lang, message=TEXT[lang]["invalid"])
    try:
        details = service._rpc("matching", "match_details", link["match"])
    except NotFound:
        lang = language(request)
        return page(service, "respond_done.html", 404, lang=lang, message=TEXT[lang]["invalid"])
    lang = language(request, (details.get("organisation") or {}).get("preferred_language"))
    t = TEXT[lang]
    if act:
        action = request.form.get("action")
        if action not in ("accept", "decline"):
            return page(
                service,
                "respond.html",
                400,
                lang=lang,
                m=details,
                token=token,
                error=t["bad_action"],
            )
        try:
            done = service._rpc("matching", f"{action}_match", link["match"], link["org"])
        except (Conflict, Forbidden):
            current = service._rpc("matching", "get_match", link["match"])
            return page(
                service,
                "respond_done.html",
                409,
                lang=lang,
                message=t["already"].format(status=current["status"]),
            )
        return page(service, "respond_done.html", lang=lang, message=t[done["status"]])
    if details["status"] != "proposed":
        return page(
            service,
            "respond_done.html",
            lang=lang,
            message=t["already"].format(status=details["status"]),
        )
    return page(service, "respond.html", lang=lang, m=details, token=token, error=None)
