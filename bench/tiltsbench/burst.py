"""Needs matched and emailed per second: a burst posted by 8 clients to a fresh stack."""

import threading
import time
from pathlib import Path

from .code import Code
from .common import coordinator, offer, organisation, post_need, run_name
from .mail import Mailbox
from .stacks import BenchStack

CLIENTS = 8


def post_all(
    url: str, titles: list[str], refused: list[str], domain: str = "social", region: str = "riga"
) -> list[threading.Thread]:
    """Post one need per title from CLIENTS threads at once; refusals noted, not retried."""

    def post(part: list[str]) -> None:
        session = coordinator()
        for key in part:
            reply = post_need(session, url, key, domain, region)
            if reply.status_code != 201:  # the run cannot finish: say why, at once
                refused.append(f"{key}: {reply.status_code} {reply.text[:200]}")
                return

    clients = [threading.Thread(target=post, args=(titles[k::CLIENTS],)) for k in range(CLIENTS)]
    for client in clients:
        client.start()
    return clients


def burst(code: Code, var: Path, workers: int, needs: int) -> tuple[float, float]:
    """(matched/s, emailed/s) end to end with `workers` matching processes: from the
    first post to the last proposal stored, and to the last email received."""
    with BenchStack(code, var, workers=workers) as stack:
        org = organisation(stack.url, "Bench biedrība", "burst@example.org", "social", "riga")
        offer(stack.url, org, "social", "riga", 100_000)
        time.sleep(2)  # the offer reaches matching before the first need does
        run, mailbox = run_name(), Mailbox(stack.mail_dir)
        keys, refused = [f"{run} {n}" for n in range(needs)], []
        matches = stack.db("matching").matches
        began = time.perf_counter()
        clients = post_all(stack.url, [f"burst {k}" for k in keys], refused)
        matched = mailed = None
        while (matched is None or mailed is None) and time.perf_counter() < began + 600:
            if refused:
                raise RuntimeError(f"{workers} worker(s): the gateway refused {refused[0]}")
            if matched is None and matches.count_documents({}) >= needs:
                matched = time.perf_counter() - began
            mailbox.poll()
            if mailed is None and all(k in mailbox.first for k in keys):
                mailed = time.perf_counter() - began
            time.sleep(0.05)
        for client in clients:
            client.join()
        if matched is None or mailed is None:
            raise RuntimeError(f"{workers} worker(s): not every need was matched and mailed")
        return needs / matched, needs / mailed
