"""Put on PYTHONPATH by bench/profile_need.py: every service process of the stack runs
under pyinstrument and writes its call tree to $BENCH_PROFILE_DIR when it exits."""

import atexit
import os
import sys

if os.environ.get("BENCH_PROFILE_DIR") and "nameko" in sys.argv[0]:
    from pyinstrument import Profiler

    _profiler = Profiler(interval=0.001, async_mode="disabled")
    _profiler.start()

    def _write() -> None:
        _profiler.stop()
        name = sys.argv[-1].split(".")[0]
        path = os.path.join(os.environ["BENCH_PROFILE_DIR"], f"{name}-{os.getpid()}.txt")
        with open(path, "w") as out:
            out.write(_profiler.output_text(unicode=True, flat=True))

    atexit.register(_write)
