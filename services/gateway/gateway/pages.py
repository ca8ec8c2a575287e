"""Server-rendered pages (Jinja2, Latvian and English)."""

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.wrappers import Response

from tilts_contracts import localtime, taxonomy
from tilts_contracts.errors import Conflict, Forbidden, NotFound, TiltsError
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
        # what a used link says, by the match's status now
        "now_accepted": "Jūs šo lūgumu jau pieņēmāt. Koordinators ar jums sazināsies.",
        "now_declined": "Jūs šo lūgumu jau atteicāt. Paldies par atbildi!",
        "now_expired": "Atbildes termiņš beidzās, tāpēc lūgums, iespējams, jau nodots citam"
        " palīdzētājam. Jums nekas nav jādara.",
        "now_cancelled": "Šis lūgums vairs nav aktuāls: tas ir atsaukts. Jums nekas nav jādara.",
        "now_fulfilled": "Šis lūgums jau ir izpildīts. Paldies par palīdzību!",
        "already": "Uz šo lūgumu vairs nevar atbildēt.",
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
        "now_accepted": "You have already accepted this request. A coordinator will contact you.",
        "now_declined": "You have already declined this request. Thank you for answering.",
        "now_expired": "The time to answer has passed, so the request may have gone to another"
        " helper. There is nothing you need to do.",
        "now_cancelled": "This request is no longer current: it was withdrawn. There is nothing"
        " you need to do.",
        "now_fulfilled": "This request has already been fulfilled. Thank you for your help!",
        "already": "This request can no longer be answered.",
        "expired": "This link has expired. The request may have gone to someone else.",
        "invalid": "This link is not valid. Check that you copied all of it.",
        "bad_action": "Choose “Accept” or “Decline”.",
        "other_lang": "Latviešu",
    },
}


# what a browser gets instead of the API's JSON error: what happened, what to do
TROUBLE = {
    "lv": {
        "unavailable_title": "Lapa šobrīd nav pieejama",
        "unavailable": "Tilts šobrīd nevar parādīt šo lapu: kāda tā daļa neatbild.",
        "try_later": "Lūdzu, mēģiniet vēlreiz pēc dažām minūtēm.",
        "link_works": "Jūsu saite joprojām ir derīga: atveriet to vēlreiz vēlāk.",
        "again": "Mēģināt vēlreiz",
        "invalid_title": "Adresē ir kļūda",
        "invalid": "Tilts nepazīst šo adreses daļu: {fields}.",
        "fix": "Pārbaudiet adresi vai atveriet lapu bez tās.",
        "start": "Atvērt lapu",
        "other_title": "Lapu neizdevās parādīt",
        "other": "Tilts nevarēja parādīt šo lapu.",
    },
    "en": {
        "unavailable_title": "This page is not available right now",
        "unavailable": "Tilts cannot show this page right now: part of it is not answering.",
        "try_later": "Please try again in a few minutes.",
        "link_works": "Your link still works: open it again later.",
        "again": "Try again",
        "invalid_title": "Something in the address is wrong",
        "invalid": "Tilts does not know this part of the address: {fields}.",
        "fix": "Check the address, or open the page without it.",
        "start": "Open the page",
        "other_title": "The page could not be shown",
        "other": "Tilts could not show this page.",
    },
}


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("gateway", "templates"),
        autoescape=select_autoescape(default=True),
    )
    env.globals["taxonomy"] = taxonomy
    env.filters["until"] = localtime.until  # Riga time, the zone named, lv or en
    env.filters["at"] = localtime.at
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
    response = Response(body, status=status, content_type=HTML)
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")  # the language may have come from the browser
    # one organisation's page behind its own link: no shared cache may keep or serve it
    response.headers["Cache-Control"] = "private, no-store"
    return response


def trouble(service, request, exc: TiltsError, lang: str, link: bool = False) -> Response:
    """A page instead of the JSON error, with its status: a backend that is down asks
    the reader to come back (`link`: the emailed link they opened still works then),
    a bad address names what in it is wrong."""
    t = TROUBLE[lang]
    query = request.query_string.decode("latin-1")
    here = request.path + (f"?{query}" if query and request.method == "GET" else "")
    plain = f"{request.path}?lang={lang}"
    if exc.status == 503:
        title, lines = t["unavailable_title"], [t["unavailable"], t["try_later"]]
        if link:
            lines.append(t["link_works"])
        action = (here, t["again"])
    elif exc.status == 400:
        fields = ", ".join(sorted(exc.details)) or "?"
        title, lines = t["invalid_title"], [t["invalid"].format(fields=fields), t["fix"]]
        action = (plain, t["start"])
    else:
        title, lines, action = t["other_title"], [t["other"], t["try_later"]], (here, t["again"])
    response = page(
        service, "trouble.html", exc.status, lang=lang, title=title, lines=lines, action=action
    )
    if exc.status == 503:
        response.headers["Retry-After"] = "120"
    return response


def answered(t: dict, status: str) -> str:
    """What a link says once its request is no longer open, in the reader's words."""
    return t.get(f"now_{status}", t["already"])


def respond(service, request, token: str, act: bool) -> Response:
    """The page behind an emailed link: GET only shows, POST acts once; with matching
    down, a page saying to come back (the link still works), not a JSON error."""
    try:
        return _respond(service, request, token, act)
    except TiltsError as exc:
        return trouble(service, request, exc, language(request), link=True)


def _respond(service, request, token: str, act: bool) -> Response:
    try:
        link = read_response_link(service.config.secret, token)
    except LinkExpired as expired:
        # the signature is good, only the time is up: say what became of the request, in
        # the organisation's language (the browser's may be anything)
        details = _details(service, expired.claims.get("match"))
        lang = language(request, _org_language(details))
        t = TEXT[lang]
        gone = details and details["status"] != "proposed"
        message = answered(t, details["status"]) if gone else t["expired"]
        return page(service, "respond_done.html", 410, lang=lang, message=message)
    except LinkInvalid:
        lang = language(request)
        return page(service, "respond_done.html", 404, lang=lang, message=TEXT[lang]["invalid"])
    details = _details(service, link["match"])
    if details is None:
        lang = language(request)
        return page(service, "respond_done.html", 404, lang=lang, message=TEXT[lang]["invalid"])
    lang = language(request, _org_language(details))
    t = TEXT[lang]
    if act and details["status"] != "proposed":  # answered: say so, whatever was sent
        return page(
            service, "respond_done.html", 409, lang=lang, message=answered(t, details["status"])
        )
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
                message=answered(t, current["status"]),
            )
        return page(service, "respond_done.html", lang=lang, message=t[done["status"]])
    if details["status"] != "proposed":
        return page(service, "respond_done.html", lang=lang, message=answered(t, details["status"]))
    return page(service, "respond.html", lang=lang, m=details, token=token, error=None)


def _details(service, match_id: str | None) -> dict | None:
    if not match_id:
        return None
    try:
        return service._rpc("matching", "match_details", match_id)
    except NotFound:
        return None


def _org_language(details: dict | None) -> str | None:
    return ((details or {}).get("organisation") or {}).get("preferred_language")
