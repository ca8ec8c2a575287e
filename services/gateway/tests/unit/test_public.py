"""The public documents as a reader and a spreadsheet see them, without a stack."""

import csv
import io

from gateway.web import pages, public
from tilts_contracts import taxonomy

PROFILES = {
    "org_a": {"name": "Drošā māja", "website": "https://www.drosamaja.lv/", "status": "verified"},
    "org_pending": {"name": "Jauna biedrība", "website": None, "status": "pending"},
    "org_suspended": {"name": "Aizdomīga", "website": None, "status": "suspended"},
    "org_erased": {"name": "x", "website": None, "status": "verified", "anonymous": True},
}


def commitment(org, title, unit="", **more):
    return {
        "organisation_id": org,
        "title": title,
        "capacity": 4,
        "unit": unit,
        "remaining": 4,
        "accepted": 0,
        "fulfilled": 0,
        "regions": ["riga", "nationwide"],
        **more,
    }


DOC = {
    "generated_at": "2026-11-24T12:00:00Z",
    "domains": [
        {
            "domain": "social",
            "commitments": [
                commitment("org_a", "Zupas virtuve"),
                commitment("org_a", '=HYPERLINK("http://x")', unit="-1"),
                commitment("org_a", "\tTab", unit="+1"),
                commitment("org_a", "\rCR", unit="@x"),
            ],
        }
    ],
}


def read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_a_bom_latvian_headers_and_its_generated_at_time():
    text = public.commitments_csv(DOC, PROFILES, "lv")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with it
    rows = read(text.removeprefix("\ufeff"))
    assert list(rows[0]) == [
        "Joma",
        "Organizācija",
        "Piedāvājums",
        "Kapacitāte",
        "Vienība",
        "Atjaunojas",
        "Brīvā kapacitāte",
        "Pieņemts",
        "Izpildīts",
        "Reģioni",
        "Sagatavots",
    ]
    first = rows[0]
    assert first["Joma"].startswith("Sociālā palīdzība") and first["Organizācija"] == "Drošā māja"
    assert first["Reģioni"] == "Rīga, Visa Latvija"
    assert all(r["Sagatavots"] == "2026-11-24T12:00:00Z" for r in rows)


def test_the_english_csv_has_english_headers():
    header = read(public.commitments_csv(DOC, PROFILES, "en").removeprefix("\ufeff"))[0]
    assert list(header)[:5] == ["Domain", "Organisation", "Offer", "Capacity", "Unit"]
    assert "Generated" in header


def test_an_empty_cell_stays_empty_and_formulas_become_text():
    rows = read(public.commitments_csv(DOC, PROFILES, "en").removeprefix("\ufeff"))
    assert rows[0]["Unit"] == ""  # not "'"
    assert rows[1]["Offer"] == '\'=HYPERLINK("http://x")' and rows[1]["Unit"] == "'-1"
    assert rows[2]["Offer"] == "'\tTab" and rows[2]["Unit"] == "'+1"
    assert rows[3]["Offer"] == "'\rCR" and rows[3]["Unit"] == "'@x"
    assert rows[0]["Capacity"] == "4"  # numbers are left alone


def test_only_verified_organisations_offers_are_public():
    groups = [
        {
            "domain": "social",
            "offers": [
                {"organisation_id": "org_a"},
                {"organisation_id": "org_pending"},
                {"organisation_id": "org_suspended"},
                {"organisation_id": "org_erased"},
                {"organisation_id": "org_unknown"},
            ],
        }
    ]
    kept = public.verified_only(groups, "offers", PROFILES)
    assert [o["organisation_id"] for o in kept[0]["offers"]] == ["org_a", "org_erased"]
    assert public.organisation_name(PROFILES, "org_erased", "lv") == "anonīma organizācija"


def test_a_website_is_shown_only_when_it_is_a_web_address():
    assert public.organisation_website(PROFILES, "org_a") == {
        "url": "https://www.drosamaja.lv/",
        "host": "drosamaja.lv",
    }
    erased = {"o": {"website": "https://x.lv", "anonymous": True}}
    assert public.organisation_website(erased, "o") is None
    for url in ("javascript:alert(1)", "ftp://x.lv/", "", None):
        assert public.organisation_website({"o": {"website": url}}, "o") is None


def test_a_private_person_is_shown_as_one_never_by_name_or_website():
    person = {"p": {"name": "", "website": None, "status": "verified", "private": True}}
    assert public.organisation_name(person, "p", "lv") == "privātpersona"
    assert public.organisation_name(person, "p", "en") == "a private person"
    # even were a name or website given, neither is shown
    told = {"p": {**person["p"], "name": "Anna Bērziņa", "website": "https://anna.lv"}}
    assert public.organisation_name(told, "p", "en") == "a private person"
    assert public.organisation_website(told, "p") is None


def test_the_wall_names_languages_instead_of_showing_codes():
    offer = {**commitment("org_a", "Zupas virtuve"), "languages": ["lv", "ru", "xx"]}
    wall = {"domains": [{"domain": "social", "offers": [offer]}], "generated_at": "2026-11-24"}
    for lang, said in [
        ("lv", "Valodas: latviešu, krievu, xx"),
        ("en", "Languages: Latvian, Russian"),
    ]:
        page = render("wall.html", lang, wall=wall)
        assert said in page
        assert public.WORDS[lang]["remaining"] in page and "Brīvs:" not in page


def render(template: str, lang: str, **context) -> str:
    return (
        pages.environment()
        .get_template(template)
        .render(
            lang=lang,
            w=public.WORDS[lang],
            taxonomy=taxonomy,
            name=lambda oid: "Drošā māja",
            website=lambda oid: None,
            region=None,
            **context,
        )
    )


def test_the_wall_and_the_commitment_document_say_how_often_capacity_renews():
    weekly = commitment("org_a", "Konsultācijas", unit="konsultācijas", renews="weekly")
    once = commitment("org_a", "Zupa", unit="porcijas")
    doc = {"generated_at": "2026-11-24T12:00:00Z",
           "domains": [{"domain": "legal", "commitments": [weekly, once]}]}  # fmt: skip
    wall = {"generated_at": doc["generated_at"],
            "domains": [{"domain": "legal", "offers": [weekly, once]}]}  # fmt: skip
    assert "/ 4 konsultācijas nedēļā</p>" in render("wall.html", "lv", wall=wall)
    assert "/ 4 porcijas</p>" in render("wall.html", "lv", wall=wall)
    page = render("commitments.html", "en", doc=doc)
    assert "<td>4 konsultācijas a week</td>" in page and "<td>4 porcijas</td>" in page
    assert "| 4 konsultācijas a week |" in public.commitments_markdown(doc, PROFILES, "en")
    rows = read(public.commitments_csv(doc, PROFILES, "en").removeprefix("\ufeff"))
    assert [r["Renews"] for r in rows] == ["a week", ""]
