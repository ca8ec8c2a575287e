"""A coordinator's morning on /console, in Debian's Chromium, typed and clicked as a
person does: sign in from the emailed link, post a need (first with a phone number in
it, then fixed), read why it was matched, cancel another need, verify a registration;
then a working-group lead tries another group. Prints one JSON result per step.

Run as a separate process (Playwright's sync API and eventlet do not share one):
`python console_drive.py PLAN.json`. Screenshots go to the plan's `shots`, and the
pages worth showing also to `docs` at 390 and 1280 px when the plan names it.
"""

import json
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from signin_drive import ARGS, CHROMIUM, emailed_link

PHONE, WIDE = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def snapshot(page, name: str, plan: dict, response=None) -> dict:
    page.screenshot(path=str(Path(plan["shots"]) / f"console-{name}.png"), full_page=True)
    return {
        "step": name,
        "url": page.url,
        "status": response.status if response else None,
        "text": page.inner_text("body"),
        "labelled": page.evaluate(
            "() => [...document.querySelectorAll('input:not([type=hidden]),textarea,select')]"
            ".every(e => e.labels && e.labels.length > 0)"
        ),
        "wide": page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"),
    }


def for_docs(page, name: str, plan: dict) -> None:
    """The page at a phone's width and a laptop's, for the README (docs/screenshots)."""
    if not plan.get("docs"):
        return
    for size, label in ((PHONE, "390"), (WIDE, "1280")):
        page.set_viewport_size(size)
        page.screenshot(
            path=str(Path(plan["docs"]) / f"console-{name}-{label}.png"), full_page=True
        )
    page.set_viewport_size(PHONE)


def sign_in(page, plan: dict, email: str, seen: set) -> None:
    page.goto(f"{plan['site']}/signin")
    page.get_by_label("E-pasta adrese").fill(email)
    page.get_by_role("button", name="Sūtīt saiti").click()
    page.wait_for_load_state()
    page.goto(emailed_link(plan["mail_dir"], email, seen, timeout=90))
    page.get_by_role("button", name="Pierakstīties").click()
    page.wait_for_load_state()


def post_need(page, plan: dict, description: str) -> None:
    page.get_by_label("Nosaukums").fill(plan["title"])
    page.get_by_label("Darba grupa").select_option("health")
    page.get_by_label("Reģions").select_option(plan["region"])
    page.get_by_label("gruzīnu").check()
    page.get_by_label("Daudzums").fill("1")
    page.get_by_label("Apraksts").fill(description)
    page.get_by_role("button", name="Ievietot", exact=True).click()
    page.wait_for_load_state()


def matched(page, plan: dict, timeout: float = 90) -> None:
    """Reload the need's page until matching's proposal is on it."""
    deadline = time.monotonic() + timeout
    while plan["org_name"] not in page.inner_text("body") and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()


def coordinator(page, plan: dict, seen: set, results: list) -> None:
    sign_in(page, plan, plan["email"], seen)
    results.append(snapshot(page, "home", plan))
    page.get_by_role("link", name="Ievietot vajadzību").first.click()
    page.wait_for_load_state()
    post_need(page, plan, plan["with_phone"])
    results.append(snapshot(page, "refused", plan))
    results[-1]["description"] = page.get_by_label("Apraksts").input_value()
    for_docs(page, "post-refused", plan)
    page.get_by_label("Apraksts").fill(plan["fixed"])
    page.get_by_role("button", name="Ievietot", exact=True).click()
    page.wait_for_load_state()
    matched(page, plan)
    results.append(snapshot(page, "matched", plan))
    for_docs(page, "need", plan)

    page.goto(f"{plan['site']}/console/needs/{plan['other_need']}")
    page.get_by_role("link", name="Atcelt vajadzību").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Jā, atcelt").click()
    page.wait_for_load_state()
    results.append(snapshot(page, "cancelled", plan))

    page.get_by_role("link", name="Vajadzības", exact=True).click()
    page.wait_for_load_state()
    for_docs(page, "needs", plan)
    page.get_by_role("link", name="Reģistrācijas").first.click()
    page.wait_for_load_state()
    for_docs(page, "registrations", plan)
    page.get_by_role("button", name=f"Apstiprināt {plan['pending_name']}").click()
    page.wait_for_load_state()
    results.append(snapshot(page, "verified", plan))
    for name, path in (("gaps", "gaps"), ("outbox", "outbox?status=sent")):
        page.goto(f"{plan['site']}/console/{path}")
        for_docs(page, name, plan)


def lead(page, plan: dict, seen: set, results: list) -> None:
    sign_in(page, plan, plan["lead"], seen)
    page.get_by_role("link", name="Ievietot vajadzību").first.click()
    page.wait_for_load_state()
    results.append(snapshot(page, "lead-form", plan))
    results[-1]["groups"] = page.get_by_label("Darba grupa").evaluate(
        "s => [...s.options].map(o => o.value)"
    )
    response = page.goto(f"{plan['site']}/console/needs/new?domain=legal")
    results.append(snapshot(page, "lead-refused", plan, response))


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    seen = {p.name for p in Path(plan["mail_dir"]).glob("*.eml")}
    results: list[dict] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for person in (coordinator, lead):  # each in a browser of its own: own cookies
            context = browser.new_context(
                locale="lv-LV", viewport=PHONE, extra_http_headers=plan.get("headers", {})
            )
            person(context.new_page(), plan, seen, results)
            context.close()
        browser.close()
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
