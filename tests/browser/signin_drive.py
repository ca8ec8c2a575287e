"""Sign in as a person does, in Debian's Chromium: type the address on /signin, open
the link that comes by email, press the button. Prints one JSON result per step.

Run as a separate process (Playwright's sync API and eventlet do not share one):
`python signin_drive.py PLAN.json`; the plan names the site, the address, the mail
directory the SMTP sink writes to, and where to put screenshots.
"""

from chromium import CLIENT, PHONE, emailed_link, mail_seen, press, run, send_link, snapshot


def steps(browser, plan: dict) -> list[dict]:
    seen = mail_seen(plan)
    page = browser.new_page(
        locale=plan.get("locale", "lv-LV"), viewport=PHONE, extra_http_headers=CLIENT
    )
    results = [snapshot(page, "form", plan, page.goto(f"{plan['site']}/signin"))]
    send_link(page, plan["email"], plan)
    results.append(snapshot(page, "sent", plan))
    link = emailed_link(plan["mail_dir"], plan["email"], seen)
    results.append(snapshot(page, "link", plan, page.goto(link)))
    press(page, plan["signin"])
    results.append(snapshot(page, "landed", plan))
    results.append(snapshot(page, "replayed", plan, page.goto(link)))
    press(page, plan["signin"])
    results.append(snapshot(page, "used", plan))
    return results


if __name__ == "__main__":
    run(steps)
