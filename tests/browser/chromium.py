"""What every drive script shares: Debian's Chromium and how it is started, the screen
sizes, reading the emailed sign-in link, one step's snapshot, the README's pictures.

The drive scripts run as processes of their own (Playwright's sync API and eventlet do
not share one) with this directory as their script directory, so `from chromium import`
finds this module.
"""

import email
import email.policy
import json
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# a client of its own (the test stack trusts one proxy): its sign-ins count against no
# other test's hourly limit
CLIENT = {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.5"}
LATVIAN = {"email_label": "E-pasta adrese", "send": "Sūtīt saiti", "signin": "Pierakstīties"}
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")
LABELLED = (
    "() => [...document.querySelectorAll('input:not([type=hidden]),textarea,select')]"
    ".every(e => e.labels && e.labels.length > 0)"
)


def run(steps: Callable[..., list[dict]]) -> None:
    """Read the plan named on the command line, let `steps(browser, plan)` drive a fresh
    Chromium and print what it returns as JSON, the pytest side's one way in."""
    plan = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        results = steps(browser, plan)
        browser.close()
    print(json.dumps(results, ensure_ascii=False))


def mail_seen(plan: dict) -> set:
    """The messages already in the mail directory: another test's links are not ours."""
    return {p.name for p in Path(plan["mail_dir"]).glob("*.eml")}


def emailed_link(mail_dir: str, to: str, seen: set, timeout: float = 30) -> str:
    """The sign-in link in the first new message to `to`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(Path(mail_dir).glob("*.eml")):
            if path.name in seen:
                continue
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            found = LINK.search(msg.get_body(("plain",)).get_content())
            if to.lower() in str(msg["To"]).lower() and found:
                seen.add(path.name)
                return found.group(0)
        time.sleep(0.2)
    raise SystemExit(f"no sign-in link for {to} in {timeout} s")


def press(page, button, exact: bool = False) -> None:
    """Press a button that sends a form and wait for the page it brings."""
    page.get_by_role("button", name=button, exact=exact).click()
    page.wait_for_load_state()


def send_link(page, email_address: str, words: dict) -> None:
    page.get_by_label(words["email_label"]).fill(email_address)
    press(page, words["send"])


def sign_in(page, plan: dict, to: str, seen: set, words=LATVIAN, timeout=30.0) -> None:
    """Ask /signin for a link, open it from the email and press the button."""
    page.goto(f"{plan['site']}/signin")
    send_link(page, to, words)
    page.goto(emailed_link(plan["mail_dir"], to, seen, timeout=timeout))
    press(page, words["signin"])


def snapshot(page, name: str, plan: dict, response=None) -> dict:
    """A full-page screenshot of the step and what the pytest side checks about it."""
    shot = f"{plan['prefix']}-{name}" if plan.get("prefix") else name
    page.screenshot(path=str(Path(plan["shots"]) / f"{shot}.png"), full_page=True)
    return {
        "step": name,
        "url": page.url,
        "status": response.status if response else None,
        "text": page.inner_text("body"),
        "lang": page.evaluate("document.documentElement.lang"),
        "labelled": page.evaluate(LABELLED),
        "wider_than_screen": page.evaluate(
            "document.documentElement.scrollWidth > window.innerWidth"
        ),
    }


def at_both_widths(page, directory: str | None, name: str, full_page: bool = True) -> None:
    """The page at a phone's width and a desktop's, as the README shows it (`name`-390.png,
    `name`-1280.png); nothing without a directory. Leaves the page at a phone's width."""
    if not directory:
        return
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        path = Path(directory) / f"{name}-{size['width']}.png"
        page.screenshot(path=str(path), full_page=full_page)
    page.set_viewport_size(PHONE)
