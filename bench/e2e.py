"""End-to-end benchmark of whole local stacks (issue 19's targets), the current code and
an older commit side by side in one run, with this machine's raw ceilings (one
NX-27017's insert+find pairs/s, the broker's publish+consume/s) measured in the same
run. Prints a Markdown table; never a test.

Measures, each on a fresh stack (one NX-27017 per service database, as `make run`; the
older code with one NX-27017 for all, as it ran): need -> email at 20 needs/s (5 runs)
and gateway GET /api/offers with 8 clients; GET /api/offers alone, 5 runs of 5 s on a
stack of 20 offers; needs matched and emailed per second for a burst with 1 and 2
matching workers; need -> email with 1k and with 100k active offers;
need -> email while 1,000 needs wait in one working group and 100 capacity events come.

    .venv/bin/python bench/e2e.py [--against 84e893c|none] [--only plain,burst1,...]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# bench/matching.py is named like the service package: keep bench/ off the import path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "deploy" / "local"))

from testbed import require_management_api  # noqa: E402

from bench.tiltsbench import code, report, scenarios  # noqa: E402
from bench.tiltsbench.burst import burst  # noqa: E402
from bench.tiltsbench.ceilings import broker_ceiling, storage_ceiling  # noqa: E402

BEFORE_ISSUE_19 = "84e893c"  # the last landed main before issue 19: the issue's "today"
SCENARIOS = ("plain", "gets", "burst1", "burst2", "wall_small", "wall_big", "waiting")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=BEFORE_ISSUE_19, help="older commit, or none")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--waiting", type=int, default=1_000)
    return parser.parse_args()


def measure(name: str, version: code.Code, var: Path, args):
    a = args
    return {
        "plain": lambda: scenarios.plain(version, var, a.rate, a.seconds, a.runs),
        "gets": lambda: scenarios.gets(version, var, a.runs),
        "burst1": lambda: burst(version, var, 1, a.burst),
        "burst2": lambda: burst(version, var, 2, a.burst),
        "wall_small": lambda: scenarios.wall(version, var, a.small, a.rate, a.seconds),
        "wall_big": lambda: scenarios.wall(version, var, a.big, a.rate, a.seconds),
        "waiting": lambda: scenarios.waiting(version, var, a.rate, a.seconds, a.waiting),
    }[name]()


def ceilings(var: Path, when: str) -> list[tuple[str, float, int]]:
    return [
        (f"load average (1 min), {when}", os.getloadavg()[0], 1),
        (f"raw storage insert+find per s (one NX-27017), {when}", storage_ceiling(var), 1),
        (f"raw broker publish+consume msgs per s, {when}", broker_ceiling(), 1),
    ]


def main() -> None:
    args = arguments()
    require_management_api()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        versions = [code.current()]
        if args.against != "none":
            versions.insert(0, code.older(args.against, var / "old-code"))
        machine = ceilings(var / "ceiling-start", "at start")
        results: dict[str, dict] = {v.label: {} for v in versions}
        for name in args.only.split(","):
            for version in versions:  # old then new, minutes apart: the same machine
                began = time.monotonic()
                got = measure(
                    name,
                    version,
                    var / f"{name}-{len(results[version.label])}-{version.root.name}",
                    args,
                )
                results[version.label][name] = got
                print(f"{version.label} {name}: {time.monotonic() - began:.0f} s", flush=True)
        machine += ceilings(var / "ceiling-end", "at end")
    print(report.table(results, machine))


if __name__ == "__main__":
    main()
