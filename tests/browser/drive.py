"""Drive Debian's Chromium through Playwright: open pages, press a button, take
screenshots. Prints one JSON result per step.

Run as a separate process (Playwright's sync API and eventlet's monkey-patching do
not share a process): `python drive.py PLAN.json`; the plan lists the steps (a name, an
address and maybe a button to press) and where to put screenshots.
"""

from chromium import press, run, snapshot

FOCUSABLE = "() => [...document.querySelectorAll('button')].map(b => b.tabIndex >= 0)"


def steps(browser, plan: dict) -> list[dict]:
    page = browser.new_page(locale=plan.get("locale", "lv-LV"))
    results = []
    for step in plan["steps"]:
        response = page.goto(step["url"])
        if step.get("click"):
            press(page, step["click"])
        result = snapshot(page, step["name"], plan, response)
        result.update(title=page.title(), focusable_buttons=page.evaluate(FOCUSABLE))
        results.append(result)
    return results


if __name__ == "__main__":
    run(steps)
