"""Profile a need's path through a whole stack: every service process runs under
pyinstrument while needs are posted at a steady rate, then while 8 clients list offers
(GET /api/offers) for 5 s; each process's call tree is
written to bench/profiles/<service>-<pid>.txt when the stack stops. Never a test.

With `--waiting N`, the waiting scenario instead (N needs waiting, capacity events at
10/s): the profiles cover only the timed needs and the events beside them, and go to
bench/profiles/waiting/.

    .venv/bin/python bench/profile_need.py [--rate 20] [--seconds 10] [--waiting 1000]
"""

import argparse
import os
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # see bench/e2e.py
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "deploy" / "local"))

from bench.tiltsbench import code, scenarios  # noqa: E402
from bench.tiltsbench.gets import get_throughput  # noqa: E402
from bench.tiltsbench.latency import need_to_email  # noqa: E402
from bench.tiltsbench.mail import Mailbox  # noqa: E402
from bench.tiltsbench.stacks import BenchStack  # noqa: E402

PROFILES = HERE / "profiles"
SERVICES = ("registry", "pledges", "matching", "notify", "gateway")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--var", help="keep the stack's logs here (default: a temporary one)")
    parser.add_argument("--waiting", type=int, default=0, help="needs waiting meanwhile")
    args = parser.parse_args()
    where = PROFILES / "waiting" if args.waiting else PROFILES
    where.mkdir(parents=True, exist_ok=True)
    for old in where.glob("*.txt"):
        old.unlink()
    version = code.current()
    version.env = {
        "PYTHONPATH": str(HERE / "tiltsbench" / "profiling"),
        "BENCH_PROFILE_DIR": str(where),
    }
    with tempfile.TemporaryDirectory() as tmp, BenchStack(version, Path(args.var or tmp)) as stack:
        if args.waiting:
            got = scenarios.waiting_on(
                stack, args.rate, args.seconds, args.waiting, window=profiled(stack)
            )
            gets = None
        else:
            scenarios.serve_bench_needs(stack.url)
            got = need_to_email(stack.url, Mailbox(stack.mail_dir), args.rate, args.seconds)
            gets = get_throughput(stack.url)  # the gateway's reads, in its profile too
    reads = "" if gets is None else f"; GET /api/offers {gets:.0f}/s"
    print(f"need -> email p50 {got.p50:.1f} ms, p95 {got.p95:.1f} ms{reads}")
    print(f"profiles in {where}/")


@contextmanager
def profiled(stack):
    """Every service's profile restarted on entry and written on exit (see sitecustomize)."""
    pids = [p.pid for key, p in stack.stack.procs.items() if key.split("-")[0] in SERVICES]
    for pid in pids:
        os.kill(pid, signal.SIGUSR1)
    yield
    for pid in pids:
        os.kill(pid, signal.SIGUSR2)
    time.sleep(2)  # each writes its tree


if __name__ == "__main__":
    main()
