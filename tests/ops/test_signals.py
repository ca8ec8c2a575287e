"""`make run` stops everything it started, within 20 s, however it is told to: SIGINT,
SIGTERM or SIGHUP, once or twice (make passes a SIGTERM on to the runner, so a group
gets two), to the runner or to the whole process group as a terminal or `timeout` does."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.integration

STOP_WITHIN = 20.0
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CASES = [
    (sig, times, target, "up")
    for sig in SIGNALS
    for times in (1, 2)
    for target in ("runner", "group")
] + [
    (signal.SIGTERM, 1, "make", "up"),  # `kill <pid of make>`: make passes it on
    (signal.SIGTERM, 2, "make", "up"),
    (signal.SIGINT, 2, "group", "starting"),  # Ctrl-C twice while the services start
    (signal.SIGHUP, 1, "group", "starting"),
    (signal.SIGTERM, 1, "runner", "starting"),
]


def name(case) -> str:
    sig, times, target, when = case
    return f"{signal.Signals(sig).name} x{times} to the {target} while {when}"


def stop_case(run, case) -> str | None:
    """Start `make run`, signal it as `case` says; None if everything went within 20 s,
    otherwise what was left."""
    sig, times, target, when = case
    run.start()
    try:
        run.wait_for("Tilts is up" if when == "up" else "starting the services")
    except AssertionError as exc:
        return f"{name(case)}: {exc}"
    pid = run.pid("supervisor") if target == "runner" else run.proc.pid
    began = time.monotonic()
    for n in range(times):
        if target == "group":
            os.killpg(run.proc.pid, sig)
        else:
            os.kill(pid, sig)
        if n + 1 < times:
            time.sleep(0.3)  # the second one lands inside the stop
    while time.monotonic() - began < STOP_WITHIN:
        if run.proc.poll() is not None and not run.processes() and not run.ports_held():
            return None
        time.sleep(0.2)
    left = f"processes {run.processes()}, ports {run.ports_held()}"
    return f"{name(case)}: after {STOP_WITHIN:.0f} s {left}\n{run.output()[-1500:]}"


def test_every_stop_signal_once_or_twice_to_the_runner_or_its_group_leaves_nothing(make_run):
    runs = {name(case): make_run() for case in CASES}
    with ThreadPoolExecutor(max_workers=3) as pool:  # 2 cores: mostly waiting on start-up
        problems = pool.map(lambda case: stop_case(runs[name(case)], case), CASES)
        problems = [p for p in problems if p]
    assert not problems, "\n\n".join(problems)
    for case in CASES:
        said = runs[name(case)].output()
        assert "stopping Tilts" in said and said.rstrip().endswith("stopped"), name(case)


def test_a_second_make_run_says_in_one_line_which_port_is_taken(make_run):
    first = make_run().start()
    first.wait_for("Tilts is up")
    second = make_run(HTTP_PORT=str(first.http_port)).start()
    assert second.proc.wait(60) != 0
    lines = [line for line in second.output().splitlines() if line.startswith("tilts:")]
    assert lines == [
        f"tilts: port {first.http_port} is in use (the gateway; HTTP_PORT moves it): "
        "is Tilts already running?"
    ]
    assert not second.processes()

    # the same var/ on other ports: the data is the first one's
    third = make_run(TILTS_VAR=str(first.var)).start()
    assert third.proc.wait(60) != 0
    lines = [line for line in third.output().splitlines() if line.startswith("tilts:")]
    assert lines == [f"tilts: another `make run` (pid {first.pid('supervisor')}) uses {first.var}/"]
    assert "Tilts is up" in first.output() and first.proc.poll() is None
