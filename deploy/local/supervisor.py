"""Keeps a `Stack` running for `make run`: a process that exits is started again after a
growing pause, the others keep running, and a stop signal ends the watch."""

import signal
import time
from collections.abc import Callable

from stack import Stack

BACKOFF = (1, 2, 4, 8, 16, 30)  # seconds before the 1st, 2nd ... restart in a row
STEADY_SECONDS = 60.0  # a process that ran this long before it exited starts a new count
KEEPS_DYING = 4  # exits in a row from which the report says so
TICK = 0.2
HEALTH_EVERY = 1.0
SLOW_START = 120.0  # said once if the stack is not healthy by then; the watch goes on
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def backoff(failures: int) -> float:
    """The pause before restarting a process that exited `failures` times in a row."""
    return BACKOFF[min(max(failures, 1), len(BACKOFF)) - 1]


class Signals:
    """Notes SIGINT, SIGTERM and SIGHUP. The handler only records: one that raised could
    land inside the stop (a second Ctrl-C, or make passing on a SIGTERM the whole group
    also got) and cut it short, leaving services running."""

    def __init__(self):
        self.received: list[int] = []
        self.told = 0  # how many of them have been reported

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._note)

    def _note(self, signum, frame) -> None:
        self.received.append(signum)

    def __bool__(self) -> bool:
        return bool(self.received)

    def news(self) -> list[str]:
        """The names of the signals received since last asked."""
        fresh = self.received[self.told :]
        self.told = len(self.received)
        return [signal.Signals(s).name for s in fresh]


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with {returncode}"


def last_line(path) -> str:
    """The last line a process logged (its last words are often why it stopped)."""
    try:
        with open(path, "rb") as log:
            log.seek(0, 2)
            log.seek(max(0, log.tell() - 4096))
            lines = log.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


class Supervisor:
    """Restarts whatever exits in `stack` (with backoff) until `signals` says stop."""

    def __init__(self, stack: Stack, signals: Signals, say: Callable[[str], None]):
        self.stack = stack
        self.signals = signals
        self.say = say
        self.failures: dict[str, int] = {}  # exits in a row, per process
        self.due: dict[str, float] = {}  # when each exited process starts again

    def watch(self, up_message: str) -> None:
        """Until a stop signal: restart what exits, say when the stack is (again) healthy."""
        began = time.monotonic()
        healthy, was_up, said_slow, next_check = False, False, False, 0.0
        while not self.signals:
            now = time.monotonic()
            if self.tick(now):
                healthy = False
            if not healthy and now >= next_check and not self.due:
                healthy, why = self.stack.health()
                next_check = now + HEALTH_EVERY
                if healthy:
                    self.say(up_message if not was_up else "every service answers again")
                    was_up = True
                elif not was_up and not said_slow and now - began > SLOW_START:
                    self.say(f"not healthy after {SLOW_START:.0f} s ({why[:200]}); still trying")
                    said_slow = True
            time.sleep(TICK)

    def tick(self, now: float) -> bool:
        """Note processes that exited and restart those whose pause is over; True if any
        process exited since the last tick."""
        exited = False
        for key, proc in list(self.stack.procs.items()):
            if key in self.due or proc.poll() is None:
                continue
            exited = True
            ran = now - self.stack.started[key]
            failures = 1 if ran >= STEADY_SECONDS else self.failures.get(key, 0) + 1
            self.failures[key] = failures
            pause = backoff(failures)
            self.due[key] = now + pause
            self.say(self._report(key, proc.returncode, ran, failures, pause))
        for key, when in list(self.due.items()):
            if when <= now and not self.signals:
                del self.due[key]
                proc = self.stack.restart(key)
                self.say(f"{key} started again (pid {proc.pid})")
        return exited

    def _report(self, key: str, returncode: int, ran: float, failures: int, pause: float) -> str:
        log = self.stack.logs / f"{key}.log"
        said = f"{key} {describe_exit(returncode)} after {ran:.0f} s; restarting in {pause:.0f} s"
        if failures >= KEEPS_DYING:
            said = (
                f"{key} keeps dying ({failures} exits in a row), retrying every "
                f"{pause:.0f} s; its last log line: {last_line(log) or '(none)'}"
            )
        return f"{said} (log: {log})"
