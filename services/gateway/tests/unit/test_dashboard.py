"""The dashboard as a reader sees it: gaps in words and shading, a chart that stays readable."""

import re

from gateway.cli import demo
from gateway.web import pages, public
from tilts_contracts import taxonomy


def cell(needed=0, gap=0, remaining=0, **needs):
    counts = {"open": 0, "matched": 0, "unmatched": 0, "fulfilled": 0, **needs}
    return {
        "needs": counts,
        "needed": needed,
        "covered": needed - gap,
        "gap": gap,
        "waiting": gap,
        "remaining": remaining,
    }


def grid():
    rows = []
    for slug in taxonomy.DOMAINS:
        cells = {r: cell() for r in taxonomy.OFFER_REGIONS}
        rows.append({"domain": slug, "regions": cells, "free": 0})
    by = {r["domain"]: r for r in rows}
    by["health"]["regions"]["latgale"] = cell(needed=67, gap=6, remaining=3, open=20, unmatched=1)
    by["employment"]["regions"]["nationwide"] = cell(remaining=274468)
    by["employment"]["free"] = 274468
    by["policy"]["regions"]["kurzeme"] = cell(needed=1, gap=1, remaining=2, unmatched=1)
    return rows


def render(lang: str) -> str:
    env = pages.environment()  # the gateway's own, with its filters
    board = {"grid": grid(), "generated_at": "2026-11-24T12:00:00Z"}
    return env.get_template("dashboard.html").render(
        lang=lang,
        w=public.WORDS[lang],
        taxonomy=taxonomy,
        board=board,
        totals=public.domain_totals(board["grid"]),
        num=lambda n: public.number(n, lang),
    )


def test_a_cell_with_a_gap_is_shaded_and_says_how_much_is_missing():
    page = render("lv")
    assert page.count('class="gap"') == 2  # health x latgale, policy x kurzeme
    assert "<strong>trūkst 6</strong>" in page and "<strong>trūkst 1</strong>" in page
    assert "robs" not in page and "Brīvs" not in page


def test_one_huge_offer_does_not_flatten_the_other_domains_bars():
    page = render("en")
    chart = page[page.index("<svg") : page.index("</svg>")]
    # health's bar is its own needs: 61 of 67 covered, in full width
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"', chart)]
    assert 360 * 61 / 67 - 1 < max(w for w in widths if w < 360) < 360
    assert "gap 6 of 67" in chart and "free capacity 274,468" in chart
    assert "gap 1 of 1" in chart


def test_the_chart_scales_to_the_screen_and_cuts_no_name():
    page = render("lv")
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert 'viewBox="0 0 360 ' in chart and 'width="640"' not in chart
    titles = re.findall(r'<text x="0" y="\d+" font-size="15" font-weight="600">(.*?)</text>', chart)
    names = {" ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", t)) for t in titles}
    assert names == {taxonomy.name(taxonomy.DOMAINS, slug, "lv") for slug in taxonomy.DOMAINS}
    assert any(t.count("<tspan") == 2 for t in titles)  # the longest name wraps, uncut
    assert "274\u00a0468" in chart  # Latvian groups thousands with a space
    assert '<div class="scroll">' in page  # the grid scrolls sideways on a phone


def test_latvian_wording():
    w = public.WORDS["lv"]
    assert w["remaining"] == "Brīvā kapacitāte" and w["gap"] == "trūkst"
    assert "aktuālajiem datiem" in w["commit_intro"] and "pret" not in w["chart"]


def test_dots_has_its_own_name():
    assert taxonomy.DOMAINS["awareness"]["leads"] == ["Fonds atvērtai sabiedrībai DOTS"]
    names = [org["name"] for org in demo.ORGANISATIONS]
    assert "Fonds atvērtai sabiedrībai DOTS" in names
    assert not any("Sabiedriskās politikas centrs" in n for n in names)
