"""Each measurement the issue names, on a fresh stack of the code given."""

import time
from contextlib import nullcontext
from pathlib import Path

from . import walls
from .code import Code
from .common import offer, organisation
from .gets import get_throughput
from .latency import Latency, need_to_email
from .mail import Mailbox
from .stacks import BenchStack
from .waiting import CapacityEvents, fill_waiting


def serve_bench_needs(url: str) -> None:
    """A verified organisation with an offer in social/riga no bench can use up."""
    org = organisation(url, "Bench biedrība", "bench@example.org", "social", "riga")
    offer(url, org, "social", "riga", 100_000)
    time.sleep(2)  # the offer reaches matching before the first need does


def plain(code: Code, var: Path, rate: float, seconds: float, runs: int) -> dict:
    """Need -> email `runs` times on one stack, then gateway GETs with 8 clients."""
    with BenchStack(code, var) as stack:
        serve_bench_needs(stack.url)
        mailbox = Mailbox(stack.mail_dir)
        latencies = [need_to_email(stack.url, mailbox, rate, seconds) for _ in range(runs)]
        return {"latency": latencies, "gets": get_throughput(stack.url)}


def gets(code: Code, var: Path, runs: int) -> list[float]:
    """Gateway GET /api/offers with 8 clients, `runs` times on one stack with 20 offers
    (one page of the bench's list), nothing else going on."""
    with BenchStack(code, var) as stack:
        org = organisation(stack.url, "Bench biedrība", "bench@example.org", "social", "riga")
        for _ in range(20):
            offer(stack.url, org, "social", "riga", 10)
        return [get_throughput(stack.url) for _ in range(runs)]


def wall(code: Code, var: Path, size: int, rate: float, seconds: float) -> Latency:
    """Need -> email while matching holds `size` active offers."""
    fill = lambda bench: walls.fill(bench.db("matching"), size)  # noqa: E731
    with BenchStack(code, var, prepare=fill) as stack:
        serve_bench_needs(stack.url)
        return need_to_email(stack.url, Mailbox(stack.mail_dir), rate, seconds)


def waiting(code: Code, var: Path, rate: float, seconds: float, needs: int) -> Latency:
    """Need -> email while `needs` wait in children/latgale and capacity events there
    (offers pledged, raised, withdrawn; declines; cancellations) come at 10 a second."""
    with BenchStack(code, var) as stack:
        return waiting_on(stack, rate, seconds, needs)


def waiting_on(stack: BenchStack, rate: float, seconds: float, needs: int, window=None) -> Latency:
    """`waiting` on a stack already running (none waiting and no events if `needs` is 0);
    `window` is entered while the needs are timed (a profiler's, say)."""
    window = window or nullcontext()
    serve_bench_needs(stack.url)
    if not needs:
        with window:
            return need_to_email(stack.url, Mailbox(stack.mail_dir), rate, seconds)
    world = fill_waiting(stack, needs)
    stack.settle()  # the needs wait, their gaps reported and mailed, before the clock
    events = CapacityEvents(stack.url, world, per_second=10)
    with window:
        result = need_to_email(stack.url, Mailbox(stack.mail_dir), rate, seconds, events.go)
        events.join()
    return result
