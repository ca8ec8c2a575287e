"""A coordinator's morning on /console, in Debian's Chromium, typed and clicked as a
person does: sign in from the emailed link, post a need (first with a phone number in
it, then fixed), read why it was matched, cancel another need, verify a registration;
then a working-group lead tries another group. Prints one JSON result per step.

Run as a separate process (Playwright's sync API and eventlet do not share one):
`python console_drive.py PLAN.json`. Screenshots go to the plan's `shots`, and the
pages worth showing also to `docs` at 390 and 1280 px when the plan names it.
"""

import time

from chromium import (
    CLIENT,
    PHONE,
    at_both_widths,
    mail_seen,
    press,
    run,
    sign_in,
    snapshot,
)


def for_docs(page, name: str, plan: dict) -> None:
    """The page for the README (docs/screenshots), only when the plan names `docs`."""
    at_both_widths(page, plan.get("docs"), f"console-{name}")


def post_need(page, plan: dict, description: str) -> None:
    page.get_by_label("Nosaukums").fill(plan["title"])
    page.get_by_label("Darba grupa").select_option("health")
    page.get_by_label("Reģions").select_option(plan["region"])
    page.get_by_label("gruzīnu").check()
    page.get_by_label("Daudzums").fill("1")
    page.get_by_label("Apraksts").fill(description)
    press(page, "Ievietot", exact=True)


def matched(page, plan: dict, timeout: float = 90) -> None:
    """Reload the need's page until matching's proposal is on it."""
    deadline = time.monotonic() + timeout
    while plan["org_name"] not in page.inner_text("body") and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()


def coordinator(page, plan: dict, seen: set, results: list) -> None:
    sign_in(page, plan, plan["email"], seen, timeout=90)
    results.append(snapshot(page, "home", plan))
    page.get_by_role("link", name="Ievietot vajadzību").first.click()
    page.wait_for_load_state()
    post_need(page, plan, plan["with_phone"])
    results.append(snapshot(page, "refused", plan))
    results[-1]["description"] = page.get_by_label("Apraksts").input_value()
    for_docs(page, "post-refused", plan)
    page.get_by_label("Apraksts").fill(plan["fixed"])
    press(page, "Ievietot", exact=True)
    matched(page, plan)
    results.append(snapshot(page, "matched", plan))
    for_docs(page, "need", plan)

    page.goto(f"{plan['site']}/console/needs/{plan['other_need']}")
    page.get_by_role("link", name="Atcelt vajadzību").click()
    page.wait_for_load_state()
    press(page, "Jā, atcelt")
    results.append(snapshot(page, "cancelled", plan))

    page.get_by_role("link", name="Vajadzības", exact=True).click()
    page.wait_for_load_state()
    for_docs(page, "needs", plan)
    page.get_by_role("link", name="Reģistrācijas").first.click()
    page.wait_for_load_state()
    for_docs(page, "registrations", plan)
    press(page, f"Apstiprināt {plan['pending_name']}")
    results.append(snapshot(page, "verified", plan))
    for name, path in (("gaps", "gaps"), ("outbox", "outbox?status=sent")):
        page.goto(f"{plan['site']}/console/{path}")
        for_docs(page, name, plan)


def lead(page, plan: dict, seen: set, results: list) -> None:
    sign_in(page, plan, plan["lead"], seen, timeout=90)
    page.get_by_role("link", name="Ievietot vajadzību").first.click()
    page.wait_for_load_state()
    results.append(snapshot(page, "lead-form", plan))
    results[-1]["groups"] = page.get_by_label("Darba grupa").evaluate(
        "s => [...s.options].map(o => o.value)"
    )
    response = page.goto(f"{plan['site']}/console/needs/new?domain=legal")
    results.append(snapshot(page, "lead-refused", plan, response))


def steps(browser, plan: dict) -> list[dict]:
    seen = mail_seen(plan)
    results: list[dict] = []
    for person in (coordinator, lead):  # each in a browser of its own: own cookies
        context = browser.new_context(locale="lv-LV", viewport=PHONE, extra_http_headers=CLIENT)
        person(context.new_page(), plan, seen, results)
        context.close()
    return results


if __name__ == "__main__":
    run(steps)
