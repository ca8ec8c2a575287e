"""Need -> email: needs posted at a steady rate, each timed to the email about it."""

import statistics
import threading
import time
from dataclasses import dataclass

from .common import coordinator, percentile, post_need, run_name
from .mail import Mailbox


@dataclass
class Latency:
    posted: int
    ms: list[float]  # per need that got its email
    duplicates: int  # needs emailed more than once

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.ms, 95) if self.ms else float("nan")

    @property
    def emailed(self) -> float:
        return len(self.ms) / self.posted


def need_to_email(
    url: str,
    mailbox: Mailbox,
    rate: float,
    seconds: float,
    meanwhile: threading.Event | None = None,
) -> Latency:
    """Post `rate` needs a second for `seconds` in social/riga, one per tick whatever
    the answers take, and time each from its POST to its email's arrival. `meanwhile`
    is set when the posting begins (for other work timed to run alongside)."""
    run, session = run_name(), coordinator()
    sent: dict[str, float] = {}
    began = time.perf_counter()
    if meanwhile is not None:
        meanwhile.set()
    for n in range(int(rate * seconds)):
        time.sleep(max(0.0, began + n / rate - time.perf_counter()))
        sent[f"{run} {n}"] = time.time()
        post_need(session, url, f"bench {run} {n}", "social", "riga")
    mailbox.wait_for(list(sent), timeout=120)
    got = [(mailbox.first[k] - sent[k]) * 1000 for k in sent if k in mailbox.first]
    time.sleep(1)  # a second email for a need would come right after the first
    return Latency(len(sent), got, mailbox.duplicates(list(sent)))
