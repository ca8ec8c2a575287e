"""The public pages and the one-click answer page, in a real headless Chromium."""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

INSTALL = "install Debian's chromium (apt-get install chromium; .ci/run does)"


def missing_chromium(
    environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which
) -> tuple[str, str] | None:
    """None when Chromium is there; else ("fail", why) under CI (CI set, not false),
    where a skip would let a run pass with no page ever opened in a browser, or
    ("skip", why) on a developer's machine."""
    if which("chromium"):
        return None
    if environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return "fail", f"CI has no Chromium, so no page was opened in a browser: {INSTALL}"
    return "skip", (
        "NOT RUN: no Chromium on this machine, so the pages were not opened in a browser; "
        f"{INSTALL} to run them"
    )


MISSING = missing_chromium(os.environ)


@pytest.fixture(scope="session")
def chromium():
    """Under CI without Chromium, every page test fails at once, before a stack starts."""
    if MISSING and MISSING[0] == "fail":
        pytest.fail(MISSING[1], pytrace=False)


def in_chromium(test):
    """A test that drives Chromium: skipped, saying why, only off CI."""
    skip = bool(MISSING) and MISSING[0] == "skip"
    test = pytest.mark.skipif(skip, reason=(MISSING or ("", ""))[1])(test)
    return pytest.mark.usefixtures("chromium")(test)


pytestmark = pytest.mark.integration
OUTPUT = Path(__file__).parents[2] / "test-output"


def drive(steps: list[dict], tmp_path: Path, locale: str = "lv-LV") -> list[dict]:
    OUTPUT.mkdir(exist_ok=True)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"steps": steps, "locale": locale}), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "drive.py"), str(plan)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


@in_chromium
def test_the_public_pages_render_in_both_languages(stack, client, verified_org, tmp_path):
    org = verified_org(name="Pārlūka testa biedrība", regions=["riga"], domains=["health"])
    client("organisation", org["id"]).post(
        f"{stack.url}/api/offers",
        json={
            "domain": "health",
            "title": "Psiholoģiskais atbalsts",
            "capacity": 3,
            "regions": ["riga"],
            "languages": ["lv", "ru"],
        },
    ).raise_for_status()
    pages = [
        ("wall", "/wall?region=riga"),
        ("dashboard", "/dashboard"),
        ("commitments", "/commitments"),
    ]
    steps = [
        {"url": f"{stack.url}{path}", "screenshot": str(OUTPUT / f"{name}-lv.png")}
        for name, path in pages
    ]
    steps += [
        {
            "url": f"{stack.url}{path}{'&' if '?' in path else '?'}lang=en",
            "screenshot": str(OUTPUT / f"{name}-en.png"),
        }
        for name, path in pages
    ]
    results = drive(steps, tmp_path)
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
    assert all(r["labelled"] for r in results)  # every form control has a label
    for name, _ in pages:
        assert (OUTPUT / f"{name}-lv.png").stat().st_size > 1000


@in_chromium
def test_a_browser_in_english_gets_the_pages_in_english_without_asking(stack, tmp_path):
    pages = [("wall", "/wall"), ("dashboard", "/dashboard"), ("commitments", "/commitments")]
    steps = [
        {"url": f"{stack.url}{path}", "screenshot": str(OUTPUT / f"{name}-en-GB.png")}
        for name, path in pages
    ]
    results = drive(steps, tmp_path, locale="en-GB")  # Accept-Language: en-GB, no ?lang
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
    client("organisation", org["id"]).post(
        f"{stack.url}/api/offers",
        json={
            "domain": "employment",
            "title": "CV rakstīšanas palīdzība",
            "capacity": 2,
            "regions": ["kurzeme"],
        },
    ).raise_for_status()
    need = (
        client()
        .post(
            f"{stack.url}/api/needs",
            json={
                "domain": "employment",
                "title": "Palīdzība darba meklēšanā",
                "region": "kurzeme",
                "quantity": 1,
            },
        )
        .json()
    )
    [msg] = stack.mail.wait_for(email, subject="Lūgums palīdzēt")
    link = re.search(r"http://\S+/respond/[\w.-]+", msg.get_body(("plain",)).get_content()).group()
    [shown, answered] = drive(
        [
            {"url": link, "screenshot": str(OUTPUT / "respond-lv.png")},
            {
                "url": link,
                "click": "Pieņemt",
                "screenshot": str(OUTPUT / "respond-accepted-lv.png"),
            },
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
