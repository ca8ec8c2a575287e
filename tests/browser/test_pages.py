"""The public pages and the one-click answer page, in a real headless Chromium."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from driving import OUTPUT, chromium, drive, in_chromium, missing_chromium  # noqa: E402, F401

pytestmark = pytest.mark.integration


def open_pages(steps: list[dict], tmp_path: Path, locale: str = "lv-LV") -> list[dict]:
    """Each step's result in order; a step's name is its screenshot's in test-output/."""
    plan = {"steps": steps, "locale": locale, "shots": str(OUTPUT)}
    return list(drive("drive.py", plan, tmp_path).values())


def add_offer(stack, client, org: dict, **offer) -> None:
    client("organisation", org["id"]).post(f"{stack.url}/api/offers", json=offer).raise_for_status()


@in_chromium
def test_the_public_pages_render_in_both_languages(stack, client, verified_org, tmp_path):
    org = verified_org(name="Pārlūka testa biedrība", regions=["riga"], domains=["health"])
    add_offer(stack, client, org, domain="health", title="Psiholoģiskais atbalsts",
              capacity=3, regions=["riga"], languages=["lv", "ru"])  # fmt: skip
    pages = [
        ("wall", "/wall?region=riga"),
        ("dashboard", "/dashboard"),
        ("commitments", "/commitments"),
    ]
    steps = [{"name": f"{name}-lv", "url": f"{stack.url}{path}"} for name, path in pages]
    steps += [
        {"name": f"{name}-en", "url": f"{stack.url}{path}{'&' if '?' in path else '?'}lang=en"}
        for name, path in pages
    ]
    results = open_pages(steps, tmp_path)  # every form control has a label, drive checks
    assert all(r["status"] == 200 for r in results)
    wall_lv, dash_lv, commit_lv, wall_en, dash_en, commit_en = results
    assert wall_lv["lang"] == "lv" and "Resursu siena" in wall_lv["text"]
    assert "Psiholoģiskais atbalsts" in wall_lv["text"]
    assert "Pārlūka testa biedrība" in wall_lv["text"]
    assert wall_en["lang"] == "en" and "Resource wall" in wall_en["text"]
    assert "latviešu, krievu" in wall_lv["text"]  # languages by name, not lv, ru
    assert "Latvian, Russian" in wall_en["text"]
    assert "Rezultātu pārskats" in dash_lv["text"] and "Dashboard" in dash_en["text"]
    assert "Apņemšanās dokuments" in commit_lv["text"]
    assert "Commitment document" in commit_en["text"]
    for name, _ in pages:
        assert (OUTPUT / f"{name}-lv.png").stat().st_size > 1000


@in_chromium
def test_a_browser_in_english_gets_the_pages_in_english_without_asking(stack, tmp_path):
    pages = [("wall", "/wall"), ("dashboard", "/dashboard"), ("commitments", "/commitments")]
    steps = [{"name": f"{name}-en-GB", "url": f"{stack.url}{path}"} for name, path in pages]
    results = open_pages(steps, tmp_path, locale="en-GB")  # Accept-Language: en-GB, no ?lang
    assert [r["lang"] for r in results] == ["en", "en", "en"]
    wall, dashboard, commitments = results
    assert "Resource wall" in wall["text"] and "Dashboard" in dashboard["text"]
    assert "Commitment document" in commitments["text"]


@in_chromium
def test_the_accept_button_in_the_emailed_page_works(
    stack, client, verified_org, tmp_path, wait_until
):
    email = "parluks-accept@example.org"
    org = verified_org(
        name="Pieņēmēju biedrība", email=email, regions=["kurzeme"], domains=["employment"]
    )
    add_offer(stack, client, org, domain="employment", title="CV rakstīšanas palīdzība",
              capacity=2, regions=["kurzeme"])  # fmt: skip
    need = {"domain": "employment", "title": "Palīdzība darba meklēšanā", "region": "kurzeme",
            "quantity": 1}  # fmt: skip
    need = client().post(f"{stack.url}/api/needs", json=need).json()
    [msg] = stack.mail.wait_for(email, subject="Lūgums palīdzēt")
    link = re.search(r"http://\S+/respond/[\w.-]+", msg.get_body(("plain",)).get_content()).group()
    [shown, answered] = open_pages(
        [
            {"name": "respond-lv", "url": link},
            {"name": "respond-accepted-lv", "url": link, "click": "Pieņemt"},
        ],
        tmp_path,
    )
    assert "Palīdzība darba meklēšanā" in shown["text"]
    assert shown["focusable_buttons"] == [True, True]  # reachable from the keyboard
    assert "Paldies! Jūs pieņēmāt lūgumu" in answered["text"]
    need = wait_until(
        lambda: client().get(f"{stack.url}/api/needs/{need['id']}").json(),
        lambda n: n["status"] == "matched",
    )
    assert need["status"] == "matched"


def nowhere(name: str) -> None:
    return None


def test_ci_without_chromium_fails_saying_what_to_install():
    for value in ("true", "1", "yes"):
        verdict, why = missing_chromium({"CI": value}, nowhere)
        assert verdict == "fail" and "install Debian's chromium" in why


def test_a_developer_without_chromium_skips_saying_so():
    for environ in ({}, {"CI": ""}, {"CI": "false"}):
        verdict, why = missing_chromium(environ, nowhere)
        assert verdict == "skip" and why.startswith("NOT RUN") and "chromium" in why


def test_with_chromium_nothing_is_missing():
    assert missing_chromium({"CI": "true"}, lambda name: f"/usr/bin/{name}") is None
