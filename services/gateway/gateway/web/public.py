"""Public pages: the resource wall, the dashboard and the commitment document."""

from werkzeug.wrappers import Response

from tilts_contracts import taxonomy
from tilts_contracts.errors import Invalid, TiltsError

from ..api.http import json_response
from ..api.routing import tagged
from .documents import (
    commitment_rows,
    commitments_csv,
    commitments_markdown,
    domain_totals,
    number,
    organisation_name,
    organisation_website,
    verified_only,
)
from .lastgood import PAGE_SECONDS, LastGood, Staleness, age_words, public_call
from .pages import HTML, PageRoutes, language, negotiated, trouble
from .words import WORDS

route = tagged("pages")
FORMATS = ("html", "md", "csv", "json")
DOWNLOADS = {"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}


class PublicRoutes(PageRoutes):
    kept = LastGood()  # the last good answers, for a backend that is slow or down

    def _begin(self, page: str) -> None:
        self._stale = Staleness(page)  # this worker serves this one request

    def _public(self, service: str, method: str, *args):
        """A backend call for a public page: a short deadline, then the last good copy."""
        timeout = min(PAGE_SECONDS, self.config.timeout)
        proxy = getattr(self, service)
        return public_call(self.kept, self._stale, proxy, method, *args, timeout=timeout)

    def _profiles(self, org_ids) -> dict:
        ids = sorted(set(org_ids))
        return self._public("registry", "public_profiles", ids) if ids else {}

    def _render(self, template: str, lang: str, **context) -> Response:
        age = self._stale.age
        body = self.config.templates.get_template(template).render(
            lang=lang,
            w=WORDS[lang],
            taxonomy=taxonomy,
            stale_for=None if age is None else age_words(age, lang),
            **context,
        )
        return self._aged(negotiated(Response(body, content_type=HTML), lang))

    def _aged(self, response: Response) -> Response:
        """An answer from a kept copy says how old it is (Age, as a cache would)."""
        if self._stale.age is not None:
            response.headers["Age"] = str(self._stale.age)
        return response

    @route(
        "GET",
        "/wall",
        answer="text/html",
        query=("lang", "region"),
        page_errors=(400, 503),
    )
    def wall(self, request):
        """The resource wall; a bad region or a backend that is down is a page too."""
        lang = language(request)
        self._begin("/wall")
        try:
            return self._wall(request, lang)
        except TiltsError as exc:
            return trouble(self, request, exc, lang)

    def _wall(self, request, lang: str) -> Response:
        region = request.args.get("region") or None
        if region is not None and region not in taxonomy.OFFER_REGIONS:
            raise Invalid("unknown region", {"region": [region[:40]]})
        wall = self._public("pledges", "resource_wall", region)
        ids = [o["organisation_id"] for d in wall["domains"] for o in d["offers"]]
        profiles = self._profiles(ids)
        wall = {**wall, "domains": verified_only(wall["domains"], "offers", profiles)}
        return self._render(
            "wall.html",
            lang,
            wall=wall,
            region=region,
            profiles=profiles,
            name=lambda oid: organisation_name(profiles, oid, lang),
            website=lambda oid: organisation_website(profiles, oid),
        )

    @route("GET", "/dashboard", answer="text/html", query=("lang",), page_errors=(503,))
    def dashboard(self, request):
        lang = language(request)
        self._begin("/dashboard")
        try:
            board = self._public("pledges", "dashboard")
        except TiltsError as exc:
            return trouble(self, request, exc, lang)
        return self._render(
            "dashboard.html",
            lang,
            board=board,
            totals=domain_totals(board["grid"]),
            num=lambda n: number(n, lang),
        )

    def _commitment_document(self) -> tuple[dict, dict]:
        doc = self._public("pledges", "commitments")
        ids = [c["organisation_id"] for d in doc["domains"] for c in d["commitments"]]
        profiles = self._profiles(ids)
        doc = {**doc, "domains": verified_only(doc["domains"], "commitments", profiles)}
        return doc, profiles

    @route(
        "GET",
        "/commitments",
        answer=("text/html", "text/markdown", "text/csv", "application/json"),
        query=("lang", "format"),
        page_or_json_errors=(503,),
    )
    def commitments(self, request):
        """The commitment document; as a page (format=html) its errors are pages, as a
        download (md, csv, json) they keep the API's JSON shape."""
        lang = language(request)
        self._begin("/commitments")
        fmt = request.args.get("format", "html")
        if fmt not in FORMATS:
            raise Invalid("format must be html, md, csv or json", {"format": [fmt[:20]]})
        if fmt != "html":
            return self._aged(negotiated(self._download(fmt, lang), lang))
        try:
            doc, profiles = self._commitment_document()
        except TiltsError as exc:
            return trouble(self, request, exc, lang)
        return self._render(
            "commitments.html",
            lang,
            doc=doc,
            name=lambda oid: organisation_name(profiles, oid, lang),
        )

    def _download(self, fmt: str, lang: str) -> Response:
        """The document as json, md or csv; errors in the API's JSON shape."""
        doc, profiles = self._commitment_document()
        if fmt == "json":
            rows = commitment_rows(doc, profiles, lang)
            return json_response(
                {"generated_at": doc["generated_at"], "language": lang, "commitments": rows}
            )
        headers = {"Content-Disposition": f'attachment; filename="tilts-commitments-{lang}.{fmt}"'}
        if fmt == "md":
            text = commitments_markdown(doc, profiles, lang)
        else:  # a row copied elsewhere still says how current it is; so does the answer
            text = commitments_csv(doc, profiles, lang)
            headers["X-Generated-At"] = doc["generated_at"]
        return Response(text, content_type=DOWNLOADS[fmt], headers=headers)
