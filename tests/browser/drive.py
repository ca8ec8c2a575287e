"""Drive Debian's Chromium through Playwright: open pages, click, take screenshots.

Run as a separate process (Playwright's sync API and eventlet's monkey-patching do
not share a process): `python drive.py PLAN.json` prints one JSON result per step.
"""

import json
import sys

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


def main() -> None:
    plan = json.loads(open(sys.argv[1], encoding="utf-8").read())
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale=plan.get("locale", "lv-LV"))
        for step in plan["steps"]:
            response = page.goto(step["url"])
            if step.get("click"):
                page.get_by_role("button", name=step["click"]).click()
                page.wait_for_load_state()
            page.screenshot(path=step["screenshot"], full_page=True)
            labelled = page.evaluate(
                "() => [...document.querySelectorAll('select,input:not([type=hidden])')]"
                ".every(e => e.labels && e.labels.length > 0)"
            )
            results.append(
                {
                    "url": step["url"],
                    "status": response.status if response else None,
                    "title": page.title(),
                    "lang": page.evaluate("document.documentElement.lang"),
                    "text": page.inner_text("body"),
                    "labelled": labelled,
                    "focusable_buttons": page.evaluate(
                        "() => [...document.querySelectorAll('button')].map(b => b.tabIndex >= 0)"
                    ),
                }
            )
        browser.close()
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
