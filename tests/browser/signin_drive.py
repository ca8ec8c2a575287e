"""Sign in as a person does, in Debian's Chromium: type the address on /signin, open
the link that comes by email, press the button. Prints one JSON result per step.

Run as a separate process (Playwright's sync API and eventlet do not share one):
`python signin_drive.py PLAN.json`; the plan names the site, the address, the mail
directory the SMTP sink writes to, and where to put screenshots.
"""

import email
import email.policy
import json
import random
import re
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

# a client of its own (the test stack trusts one proxy): its sign-ins count against no
# other test's hourly limit
CLIENT = {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.5"}
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_-]+")


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


def snapshot(page, name: str, plan: dict, response=None) -> dict:
    page.screenshot(path=str(Path(plan["shots"]) / f"{plan['prefix']}-{name}.png"), full_page=True)
    return {
        "step": name,
        "url": page.url,
        "status": response.status if response else None,
        "text": page.inner_text("body"),
        "lang": page.evaluate("document.documentElement.lang"),
        "labelled": page.evaluate(
            "() => [...document.querySelectorAll('input:not([type=hidden]),textarea')]"
            ".every(e => e.labels && e.labels.length > 0)"
        ),
    }


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    seen = {p.name for p in Path(plan["mail_dir"]).glob("*.eml")}
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale=plan.get("locale", "lv-LV"), extra_http_headers=CLIENT)
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        results.append(snapshot(page, "form", plan, page.goto(f"{plan['site']}/signin")))
        page.get_by_label(plan["email_label"]).fill(plan["email"])
        page.get_by_role("button", name=plan["send"]).click()
        page.wait_for_load_state()
        results.append(snapshot(page, "sent", plan))
        link = emailed_link(plan["mail_dir"], plan["email"], seen)
        results.append(snapshot(page, "link", plan, page.goto(link)))
        page.get_by_role("button", name=plan["signin"]).click()
        page.wait_for_load_state()
        results.append(snapshot(page, "landed", plan))
        results.append(snapshot(page, "replayed", plan, page.goto(link)))
        page.get_by_role("button", name=plan["signin"]).click()
        page.wait_for_load_state()
        results.append(snapshot(page, "used", plan))
        browser.close()
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
