"""The pytest side of the browser tests: whether Chromium is there, and running a drive
script (a process of its own: Playwright's sync API and eventlet do not share one) on a
plan, with the checks every step must pass."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

INSTALL = "install Debian's chromium (apt-get install chromium; .ci/run does)"
OUTPUT = Path(__file__).parents[2] / "test-output"
HERE = Path(__file__).parent


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


def docs_screenshots() -> Path | None:
    """docs/screenshots/ when SCREENSHOTS=docs asks for the README's pictures again, else
    None: a plain test run leaves the checkout as it found it."""
    if os.environ.get("SCREENSHOTS") != "docs":
        return None
    return Path(__file__).parents[2] / "docs" / "screenshots"


def drive(
    script: str, plan: dict, tmp_path: Path, timeout: float = 180, narrow: bool = False
) -> dict[str, dict]:
    """Run tests/browser/`script` on `plan`; its steps by name, each with every form
    control labelled and, when `narrow`, nothing wider than the screen."""
    OUTPUT.mkdir(exist_ok=True)
    if plan.get("docs"):
        Path(plan["docs"]).mkdir(parents=True, exist_ok=True)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(HERE / script), str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    steps = {step["step"]: step for step in json.loads(run.stdout)}
    for name, step in steps.items():
        assert step["labelled"], name  # every form control has a visible label
        assert not (narrow and step["wider_than_screen"]), name  # no sideways scrolling
    return steps
