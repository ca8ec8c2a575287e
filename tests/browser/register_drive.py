"""Register an organisation as a person does, in Debian's Chromium on a phone-sized
screen: type into /register, send it with a phone number in an offer's description,
read the note beside that field, fix it, send again. Prints one JSON result per step.

Run as a separate process (Playwright's sync API and eventlet do not share one):
`python register_drive.py PLAN.json`; the plan names the site, what to type (by the
labels a person reads) and where to put screenshots.
"""

from pathlib import Path

from chromium import PHONE, at_both_widths, run, snapshot

KEPT = ("#name", "#email", "#offers-0-title", "#offers-0-capacity", "#offers-0-unit")


def typed_in(page, label_of_group: str, fields: dict, choices: list[str]) -> None:
    """Type each field and tick each choice inside the fieldset a person sees by its legend."""
    group = page.get_by_role("group", name=label_of_group, exact=True)
    for label, value in fields.items():
        box = group.get_by_label(label, exact=True)
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(label=value)
        else:
            box.click()
            box.press_sequentially(value)
    for label in choices:
        group.get_by_label(label, exact=True).first.check()


def send(page, plan: dict):
    with page.expect_navigation() as went:
        page.get_by_role("button", name=plan["send"]).click()
    return went.value


def views(browser, plan: dict) -> None:
    """The empty form at a phone's and a desktop's width, as the README shows them."""
    page = browser.new_page(locale="lv-LV", viewport=PHONE)
    page.goto(f"{plan['site']}/register")
    at_both_widths(page, plan["shots"], "register", full_page=False)
    page.close()


def mistake(page, plan: dict) -> dict:
    """The refusal, with what was typed and the note beside the description."""
    result = snapshot(page, "mistake", plan, send(page, plan))
    result["kept"] = {k: page.locator(k).input_value() for k in KEPT}
    result["checked"] = page.locator("input[type=checkbox]:checked").count()
    result["beside"] = page.locator("#offers-0-description-error").inner_text()
    result["described_by"] = page.locator("#offers-0-description").get_attribute("aria-describedby")
    page.locator("#offer-0").screenshot(path=str(Path(plan["shots"]) / "register-error-390.png"))
    return result


def steps(browser, plan: dict) -> list[dict]:
    views(browser, plan)
    page = browser.new_page(locale="lv-LV", viewport=PHONE)
    results = [snapshot(page, "wall", plan, page.goto(f"{plan['site']}/wall"))]
    page.get_by_role("link", name=plan["register_link"]).click()
    page.wait_for_load_state()
    results.append(snapshot(page, "opened", plan))
    typed_in(page, plan["org_group"], plan["org"], plan["org_choices"])
    typed_in(page, plan["offer_group"], plan["offer"], plan["offer_choices"])
    results.append(mistake(page, plan))
    fixed = page.get_by_role("group", name=plan["offer_group"]).get_by_label(
        plan["description_label"], exact=True
    )
    fixed.fill("")
    fixed.press_sequentially(plan["fixed_description"])
    results.append(snapshot(page, "received", plan, send(page, plan)))
    return results


if __name__ == "__main__":
    run(steps)
