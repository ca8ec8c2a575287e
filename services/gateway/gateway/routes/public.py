"""Public pages: the resource wall, the dashboard and the commitment document."""

from werkzeug.wrappers import Response

from tilts_contracts import taxonomy
from tilts_contracts.errors import Invalid, TiltsError

from .. import pages, public
from ..http import json_response, route
from .base import Routes

FORMATS = ("html", "md", "csv", "json")


def negotiated(response: Response, lang: str) -> Response:
    """The language came from Accept-Language (unless ?lang= chose it): caches must
    keep one copy per language, not hand the first reader's to everyone."""
    response.vary.add("Accept-Language")
    response.headers["Content-Language"] = lang
    return response


class PublicRoutes(Routes):
    def _profiles(self, org_ids) -> dict:
        ids = sorted(set(org_ids))
        return self._rpc("registry", "public_profiles", ids) if ids else {}

    def _render(self, template: str, lang: str, **context) -> Response:
        body = self.config.templates.get_template(template).render(
            lang=lang, w=public.WORDS[lang], taxonomy=taxonomy, **context
        )
        return negotiated(Response(body, content_type=pages.HTML), lang)

    @route("GET", "/wall")
    def wall(self, request):
        """The resource wall; a bad region or a backend that is down is a page too."""
        lang = pages.language(request)
        try:
            return self._wall(request, lang)
        except TiltsError as exc:
            return pages.trouble(self, request, exc, lang)

    def _wall(self, request, lang: str) -> Response:
        region = request.args.get("region") or None
        if region is not None and region not in taxonomy.OFFER_REGIONS:
            raise Invalid("unknown region", {"region": [region[:40]]})
        wall = self._rpc("pledges", "resource_wall", region)
        ids = [o["organisation_id"] for d in wall["domains"] for o in d["offers"]]
        profiles = self._profiles(ids)
        wall = {**wall, "domains": public.verified_only(wall["domains"], "offers", profiles)}
        return self._render(
            "wall.html",
            lang,
            wall=wall,
            region=region,
            profiles=profiles,
            name=lambda oid: public.organisation_name(profiles, oid, lang),
            website=lambda oid: public.organisation_website(profiles, oid),
        )

    @route("GET", "/dashboard")
    def dashboard(self, request):
        lang = pages.language(request)
        try:
            board = self._rpc("pledges", "dashboard")
        except TiltsError as exc:
            return pages.trouble(self, request, exc, lang)
        return self._render(
            "dashboard.html",
            lang,
            board=board,
            totals=public.domain_totals(board["grid"]),
            num=lambda n: public.number(n, lang),
        )

    def _commitment_document(self) -> tuple[dict, dict]:
        doc = self._rpc("pledges", "commitments")
        ids = [c["organisation_id"] for d in doc["domains"] for c in d["commitments"]]
        profiles = self._profiles(ids)
        doc = {**doc, "domains": public.verified_only(doc["domains"], "commitments", profiles)}
        return doc, profiles

    @route("GET", "/commitments")
    def commitments(self, request):
        """The commitment document; as a page (format=html) its errors are pages, as a
        download (md, csv, json) they keep the API's JSON shape."""
        lang = pages.language(request)
        fmt = request.args.get("format", "html")
        if fmt not in FORMATS:
            raise Invalid("format must be html, md, csv or json", {"format": [fmt[:20]]})
        if fmt == "html":
            try:
                doc, profiles = self._commitment_document()
            except TiltsError as exc:
                return pages.trouble(self, request, exc, lang)
            return self._render(
                "commitments.html",
                lang,
                doc=doc,
                name=lambda oid: public.organisation_name(profiles, oid, lang),
            )
        doc, profiles = self._commitment_document()
        if fmt == "json":
            rows = public.commitment_rows(doc, profiles, lang)
            return negotiated(
                json_response(
                    {"generated_at": doc["generated_at"], "language": lang, "commitments": rows}
                ),
                lang,
            )
        disposition = {
            "Content-Disposition": f'attachment; filename="tilts-commitments-{lang}.{fmt}"'
        }
        if fmt == "md":
            return negotiated(
                Response(
                    public.commitments_markdown(doc, profiles, lang),
                    content_type="text/markdown; charset=utf-8",
                    headers=disposition,
                ),
                lang,
            )
        return negotiated(
            Response(
                public.commitments_csv(doc, profiles, lang),
                content_type="text/csv; charset=utf-8",
                headers={**disposition, "X-Generated-At": doc["generated_at"]},
            ),
            lang,
        )
