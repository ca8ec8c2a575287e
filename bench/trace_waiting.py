"""Where a timed need's time goes while needs wait (issue 19): the waiting scenario of
bench/e2e.py on one stack, then each timed need followed through the services' logs (the
"handled" line of each event about it, by need id), in ms after pledges made the need
(need ids carry their creation time). Prints a table; never a test.

    .venv/bin/python bench/trace_waiting.py [--waiting 1000] [--var DIR]
"""

import argparse
import json
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # see bench/e2e.py
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "deploy" / "local"))

from bench.tiltsbench import code, scenarios  # noqa: E402
from bench.tiltsbench.common import percentile  # noqa: E402
from bench.tiltsbench.stacks import BenchStack  # noqa: E402

SERVICES = ("matching", "pledges", "notify")


def made_at(need_id: str) -> float:
    """When pledges made the need: its id begins with the Unix time in ms (clock.new_id)."""
    return int(need_id.split("_")[1][:12], 16) / 1000


def handled(log: Path, needs: set[str]) -> dict[tuple[str, str], float]:
    """(need id, event type) -> when the service logged handling it, first time only."""
    seen: dict[tuple[str, str], float] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a warning a library printed
        if entry.get("need_id") in needs and entry["msg"].startswith("handled "):
            moment = datetime.strptime(entry["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
            key = (entry["need_id"], entry["msg"].split()[1])
            seen.setdefault(key, moment.replace(tzinfo=UTC).timestamp())
    return seen


def trace(stack: BenchStack, waiting: int) -> tuple[list[str], float]:
    """Run the scenario on `stack`: the timed needs' ids and their need -> email p95."""
    got = scenarios.waiting_on(stack, 20, 10, waiting)
    timed = stack.db("matching").needs.find({"domain": "social"}, {"_id": 1})
    return [n["_id"] for n in timed], got.p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=1_000)
    parser.add_argument("--var", help="keep the stack's logs here (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(args.var or tmp)
        with BenchStack(code.current(), var) as stack:
            needs, p95 = trace(stack, args.waiting)
        print(f"{len(needs)} timed needs, {args.waiting} waiting; need -> email p95 {p95:.1f} ms")
        print("| service: event | needs | p50 ms | p95 ms |\n|---|---|---|---|")
        for service in SERVICES:
            seen = handled(var / "log" / f"{service}.log", set(needs))
            by_type: dict[str, list[float]] = {}
            for (need_id, event_type), moment in seen.items():
                by_type.setdefault(event_type, []).append((moment - made_at(need_id)) * 1000)
            for event_type, ms in sorted(by_type.items()):
                p50, p95 = statistics.median(ms), percentile(ms, 95)
                print(f"| {service}: {event_type} | {len(ms)} | {p50:.0f} | {p95:.0f} |")


if __name__ == "__main__":
    main()
