"""The supervisor's restart policy on real processes: a process that exits is started
again after 1, 2, 4 ... 30 s, one that keeps dying is reported with its last words and
still retried, a steady run starts the count again, and the others are left alone."""

import os
import signal
import sys

from stack import Stack
from supervisor import BACKOFF, STEADY_SECONDS, STOP_SIGNALS, Signals, Supervisor

DIES = [sys.executable, "-c", "import sys; print('cannot open the widget'); sys.exit(3)"]
LIVES = [sys.executable, "-c", "import time; time.sleep(60)"]


def exit_and_tick(supervisor, stack, key, ran: float) -> float:
    """Let `key` exit, tick as if it had run `ran` seconds; returns the pause set."""
    stack.procs[key].wait(10)
    now = stack.started[key] + ran
    supervisor.tick(now)
    return supervisor.due[key] - now


def test_a_process_that_keeps_dying_is_restarted_later_each_time_and_reported(tmp_path):
    stack = Stack({}, tmp_path)
    said: list[str] = []
    supervisor = Supervisor(stack, Signals(), said.append)
    stack.spawn("flaky", DIES)
    stack.spawn("steady", LIVES)
    steady = stack.procs["steady"]
    try:
        pauses = []
        for _ in range(8):
            pauses.append(exit_and_tick(supervisor, stack, "flaky", ran=0.5))
            first = stack.procs["flaky"]
            supervisor.tick(supervisor.due["flaky"])  # the pause is over: started again
            assert stack.procs["flaky"] is not first and "flaky" not in supervisor.due
            assert said[-1] == f"flaky started again (pid {stack.procs['flaky'].pid})"
        assert pauses == [1, 2, 4, 8, 16, 30, 30, 30] and BACKOFF[-1] == 30
        assert said[0].startswith("flaky exited with 3 after 0 s; restarting in 1 s (log: ")
        dying = [line for line in said if "keeps dying" in line]
        assert len(dying) == 5 and dying[0].startswith(
            "flaky keeps dying (4 exits in a row), retrying every 8 s; "
            "its last log line: cannot open the widget"
        )
        # a run longer than STEADY_SECONDS was not a crash loop: back to a 1 s pause
        assert exit_and_tick(supervisor, stack, "flaky", ran=STEADY_SECONDS + 1) == 1
        assert stack.procs["steady"] is steady and steady.poll() is None
    finally:
        stack.stop()
    assert steady.poll() is not None


def test_no_restart_once_a_stop_signal_came(tmp_path):
    stack = Stack({}, tmp_path)
    signals = Signals()
    supervisor = Supervisor(stack, signals, lambda line: None)
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    stack.spawn("flaky", DIES)
    try:
        signals.install()
        exit_and_tick(supervisor, stack, "flaky", ran=0.5)
        exited = stack.procs["flaky"]
        os.kill(os.getpid(), signal.SIGHUP)  # handled: recorded, nothing raised
        supervisor.tick(supervisor.due["flaky"] + 1)
        assert stack.procs["flaky"] is exited and signals.news() == ["SIGHUP"]
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        stack.stop()
