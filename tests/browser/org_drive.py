"""An organisation keeps its offers and answers on /org, as a person does in Debian's
Chromium: sign in from the emailed link, add an offer, change its capacity, pause and
resume it (looking at the wall each time), see a request a coordinator's need brings,
accept it and mark it fulfilled. Prints one JSON result per step.

Run as a separate process (Playwright's sync API and eventlet do not share one):
`python org_drive.py PLAN.json`. The plan names the site, the address, the mail
directory, the words of the buttons, the need the coordinator posts (with their token)
and where screenshots go (`docs`: the README's, at 390 and 1280 px wide).
"""

import json
import re
import time
import urllib.request

from chromium import CLIENT, PHONE, at_both_widths, mail_seen, press, run, sign_in, snapshot


def post_need(plan: dict) -> dict:
    """What the coordinator does meanwhile, through the API."""
    sent = urllib.request.Request(
        f"{plan['site']}/api/needs",
        data=json.dumps(plan["need"]).encode(),
        headers={"Authorization": f"Bearer {plan['token']}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(sent, timeout=20) as reply:
        return json.loads(reply.read())


def until_shown(page, url: str, text: str, timeout: float = 40) -> None:
    """Reload `url` until it shows `text` (matching works asynchronously)."""
    deadline = time.monotonic() + timeout
    page.goto(url)
    while text not in page.inner_text("body") and time.monotonic() < deadline:
        time.sleep(0.5)
        page.goto(url)


def add_offer(page, plan: dict, w: dict) -> None:
    page.goto(f"{plan['site']}/org/offers")
    page.get_by_label(w["domain"], exact=True).select_option(plan["offer"]["domain"])
    page.get_by_label(w["title"], exact=True).fill(plan["offer"]["title"])
    page.get_by_label(w["capacity"], exact=True).fill("2")
    page.get_by_label(w["unit"]).fill(plan["offer"]["unit"])
    page.get_by_label(w["region"], exact=True).check()
    page.get_by_label(w["other_languages"]).fill(plan["offer"]["language"])
    press(page, w["add"])


def card(page, plan: dict):
    """The offer's card on the offers page."""
    return page.locator("li.card", has_text=plan["offer"]["title"])


def offer_steps(page, plan: dict, w: dict, results: list) -> None:
    site, title = plan["site"], plan["offer"]["title"]
    add_offer(page, plan, w)
    results.append(snapshot(page, "added", plan))
    results.append(snapshot(page, "wall-added", plan, page.goto(f"{site}/wall")))
    page.goto(f"{site}/org/offers")
    card(page, plan).get_by_role("link", name=re.compile(w["edit"])).click()
    page.get_by_label(w["capacity"], exact=True).fill("5")
    press(page, w["save"])
    results.append(snapshot(page, "changed", plan))
    card(page, plan).get_by_role("button", name=w["pause"]).click()
    page.wait_for_load_state()
    results.append(snapshot(page, "paused", plan))
    results.append(snapshot(page, "wall-paused", plan, page.goto(f"{site}/wall")))
    page.goto(f"{site}/org/offers")
    card(page, plan).get_by_role("button", name=w["resume"]).click()
    page.wait_for_load_state()
    results.append(snapshot(page, "resumed", plan))
    page.goto(f"{site}/wall")
    results.append(
        {**snapshot(page, "wall-resumed", plan), "title_shown": title in page.inner_text("body")}
    )


def request_steps(page, plan: dict, w: dict, results: list) -> None:
    site = plan["site"]
    need = post_need(plan)
    until_shown(page, f"{site}/org/requests", need["title"])
    results.append({**snapshot(page, "requested", plan), "need_id": need["id"]})
    at_both_widths(page, plan["docs"], "org-requests")
    request = page.locator("li.card", has_text=need["title"]).first
    request.get_by_role("button", name=re.compile(f"^{w['accept']}")).click()
    page.wait_for_load_state()
    results.append(snapshot(page, "accepted", plan))
    page.get_by_label(w["delivered"]).fill(str(plan["deliver"]))
    press(page, re.compile(f"^{w['fulfil']}"))
    results.append(snapshot(page, "fulfilled", plan))


def steps(browser, plan: dict) -> list[dict]:
    w = plan["words"]
    seen = mail_seen(plan)
    page = browser.new_page(
        locale=plan.get("locale", "lv-LV"), viewport=PHONE, extra_http_headers=CLIENT
    )
    sign_in(page, plan, plan["email"], seen, w)
    results = [snapshot(page, "landed", plan)]
    offer_steps(page, plan, w, results)
    request_steps(page, plan, w, results)
    for name, path in (("overview", "/org"), ("offers", "/org/offers")):
        page.goto(f"{plan['site']}{path}")
        at_both_widths(page, plan["docs"], f"org-{name}")
    return results


if __name__ == "__main__":
    run(steps)
