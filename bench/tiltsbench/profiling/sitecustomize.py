"""Put on PYTHONPATH by bench/profile_need.py: every service process of the stack runs
under pyinstrument and writes its call tree to $BENCH_PROFILE_DIR when it exits, or when
sent SIGUSR2. SIGUSR1 starts the profile afresh, so a run can profile a window of its
own (the timed needs, not the setup before them)."""

import atexit
import os
import signal
import sys

if os.environ.get("BENCH_PROFILE_DIR") and "nameko" in sys.argv[0]:
    from pyinstrument import Profiler

    _profiler = Profiler(interval=0.001, async_mode="disabled")
    _profiler.start()

    def _restart(*_) -> None:
        _profiler.stop()
        _profiler.reset()
        _profiler.start()

    def _write(*_) -> None:
        if not _profiler.is_running:
            return  # written already
        _profiler.stop()
        name = sys.argv[-1].split(".")[0]
        path = os.path.join(os.environ["BENCH_PROFILE_DIR"], f"{name}-{os.getpid()}.txt")
        with open(path, "w") as out:
            out.write(_profiler.output_text(unicode=True, flat=True))

    signal.signal(signal.SIGUSR1, _restart)
    signal.signal(signal.SIGUSR2, _write)
    atexit.register(_write)
