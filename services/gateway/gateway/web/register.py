"""The public questionnaire as a page: /register (issue 14, DESIGN "Pages for people").

The registry validates it, as it does the API's questionnaire; the page only puts each
refusal beside its field in the reader's words, with everything typed kept. Abuse: a
CSRF token, a per-client limit counted in the registry's database (every replica shares
it), and a field hidden from people that simple bots fill in: they get the thank-you
page and nothing is stored. An organisation registered already is told so, and may ask
for a sign-in link to its own registered address, which the page never shows.
"""

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from tilts_contracts.errors import Invalid, TiltsError

from ..api.routing import tagged
from . import register_form as forms
from .pages import language, page, trouble
from .register_words import REGISTER, explain
from .signin import AccessPages

route = tagged("register")
RETRY_LIMITED = "3600"  # the limit counts per clock hour


class RegisterRoutes(AccessPages):
    def _form(self, request, typed, status=200, blocks=None, **context) -> Response:
        """The questionnaire form, with what was typed; a new form_id unless it has one."""
        lang = language(request)
        key = self.config.link_key
        ids = {k: typed.get(k, "") for k in ("form_id", "form_sig")}
        if not forms.signed(key, ids["form_id"], ids["form_sig"]):
            ids = forms.fresh(key)
        return self._access_page(
            request,
            "register/form.html",
            status,
            lang=lang,
            r=REGISTER[lang],
            typed=typed,
            blocks=blocks or forms.blocks(typed),
            most=forms.MAX_BLOCKS,
            trap=forms.HONEYPOT,
            **ids,
            **{"errors": {}, "notice": None, **context},
        )

    def _received(self, request, form) -> Response:
        lang = language(request)
        name, email = form.get("name", "").strip(), form.get("email", "").strip()
        return page(
            self, "register/received.html", lang=lang, r=REGISTER[lang], name=name, email=email
        )

    @route("GET", "/register", answer="text/html", query=("lang",))
    def register_form(self, request):
        """The questionnaire: the organisation and one or more offers."""
        return self._form(request, MultiDict())

    @route(
        "POST",
        "/register",
        body="form",
        answer="text/html",
        page_errors=(400, 403, 409, 429, 503),
    )
    def register_send(self, request):
        """Sends the questionnaire (`action=send`) or shows one more offer block
        (`action=more`); a mistake comes back beside its field with everything kept."""
        refused = self._form_refused(request)
        if refused:
            return refused
        form = request.form
        if form.get("action") == "more":
            return self._form(request, form, blocks=min(forms.blocks(form) + 1, forms.MAX_BLOCKS))
        try:
            return self._send(request, form)
        except TiltsError as exc:
            if exc.status != 503:
                return trouble(self, request, exc, language(request))
            return self._form(request, form, 503, notice="unavailable")

    def _send(self, request, form) -> Response:
        lang, key = language(request), self.config.link_key
        if not self._rpc("registry", "allow_registration", request.remote_addr or "?"):
            response = self._form(request, form, 429, notice="limited")
            response.headers["Retry-After"] = RETRY_LIMITED
            return response
        if form.get(forms.HONEYPOT):  # a person never sees it: the same page, nothing kept
            return self._received(request, form)
        data, placed = forms.questionnaire(form)
        org_id = forms.organisation_id(key, form, data)
        try:
            receipt = self._rpc("registry", "submit_questionnaire", data, org_id, True)
        except Invalid as exc:
            beside = forms.beside_fields(exc.details, placed)
            errors = {field: explain(what, said, lang) for field, (what, said) in beside.items()}
            return self._form(request, form, 400, errors=errors)
        if receipt.get("repeated"):
            attempt = {"attempt": org_id, "attempt_sig": forms.sign(key, org_id)}
            return self._form(request, form, 409, notice="exists", **attempt)
        return self._received(request, form)

    @route("POST", "/register/signin", body="form", answer="text/html", page_errors=(400, 403, 503))
    def register_signin(self, request):
        """After "registered already": a sign-in link to that organisation's registered
        address. The same page whatever happened; the address is never shown."""
        refused = self._form_refused(request)
        if refused:
            return refused
        lang, form = language(request), request.form
        attempt = form.get("attempt", "")
        status = 200
        if forms.signed(self.config.link_key, attempt, form.get("attempt_sig", "")):
            client = request.remote_addr or "?"
            try:
                self._rpc("registry", "request_signin_for_repeated", attempt, client, lang)
            except TiltsError as exc:
                status = exc.status
        return page(
            self, "register/link_sent.html", status, lang=lang, r=REGISTER[lang], failed=status
        )
