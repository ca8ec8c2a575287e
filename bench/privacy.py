"""Privacy-guard benchmark: how long the guard takes on text made to slow it, how long
loading a body as large as the gateway's cap (1 MiB) takes, and how long a running
pledges service takes to refuse one over RabbitMQ while other requests wait. Prints a
table; never a test.

    .venv/bin/python bench/privacy.py [--repeat 20] [--old]

`--old` also times the guard as it was before (pledges/rules.py at 99de972) on the same
5,000-character inputs, for comparison (seconds each). Starts its own NX-27017 and uses
a throw-away RabbitMQ vhost (needs the management API).
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ServiceRpcProxy  # noqa: E402
from testbed import make_vhost, require_management_api, start_nx  # noqa: E402

from pledges.service import PledgesService  # noqa: E402
from tilts_contracts import privacy  # noqa: E402
from tilts_contracts.errors import Invalid  # noqa: E402
from tilts_contracts.schemas.common import load  # noqa: E402
from tilts_contracts.schemas.needs import NeedIn  # noqa: E402
from tilts_contracts.settings import from_env  # noqa: E402

MiB = 1 << 20
OLD_COMMIT = "99de972"
NEED = {"domain": "social", "title": "Gultas", "region": "riga", "quantity": 1}
REAL = (
    "Ģimenei ar trim bērniem (2, 5 un 9 gadi) no 2026-12-01 vajag divas gultas un "
    "galdu; budžets 1 200 EUR, mācību gads 2025-2026, lieta RIX-2025-0017. "
)
# what made the guard work hardest, each repeated to a description's 5,000 characters
UNITS = ["$", "$ ", "a", "a.", "2-", "26.12.", "iela 1", "jan at x dot ", "a@", "born "]


def fill(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:9.2f} {max(seconds) * 1000:9.2f}"


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return times


def old_guard():
    """pledges' privacy_problems as it was before the guard moved to the contracts."""
    source = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:services/pledges/pledges/rules.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_rules.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_rules", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.privacy_problems


def guard_alone(repeat: int, old: bool) -> None:
    print(f"\nThe guard alone, 5,000 characters (ms over {repeat} runs)")
    print(f"{'input':<24} {'median':>9} {'max':>9}" + ("   old (s)" if old else ""))
    before = old_guard() if old else None
    for name, text in [(f"{u!r} repeated", fill(u, 5000)) for u in UNITS] + [
        ("a real description", fill(REAL, 5000))
    ]:
        line = f"{name:<24} {ms(timed(lambda t=text: privacy.findings(t), repeat))}"
        if before:
            began = time.perf_counter()
            before({"description": text})
            line += f"  {time.perf_counter() - began:8.2f}"
        print(line)


def loading(repeat: int) -> None:
    print(f"\nLoading a need whose description is 1 MiB (ms over {repeat} runs)")
    print(f"{'description':<24} {'median':>9} {'max':>9}")
    for unit in ("$", "2-", "a@"):
        body = {**NEED, "description": fill(unit, MiB - 200)}

        def refuse(body=body):
            try:
                load(NeedIn(), body)
            except Invalid:
                return
            raise AssertionError("a 1 MiB description was taken")

        print(f"{unit + ' x 1 MiB':<24} {ms(timed(refuse, repeat))}")


def over_rabbitmq(repeat: int) -> None:
    """post_need with a 1 MiB body to a running pledges, while another client asks counts."""
    require_management_api()
    amqp, drop = make_vhost()
    mongo, nx = start_nx(Path(tempfile.mkdtemp()))
    config = {**from_env({}), "AMQP_URI": amqp, "MONGO_URI": mongo, "serializer": "json"}
    container = ServiceContainer(PledgesService, config)
    container.start()
    try:
        print(f"\npledges over RabbitMQ, post_need refused (ms over {repeat} calls each)")
        print(f"{'body':<40} {'median':>9} {'max':>9} {'counts() max':>16}")
        _, alone = calls(config, None, repeat)
        print(f"{'(none: counts() alone, median and max)':<40} {ms(alone)}")
        bodies = {
            "1 MiB description of $": {**NEED, "description": fill("$", MiB - 200)},
            "5,000 $ and a phone (all read)": {
                **NEED,
                "description": fill("$", 4986) + " tel. 29123456",
            },
        }
        for name, body in bodies.items():
            took, waits = calls(config, body, repeat)
            print(f"{name:<40} {ms(took)} {max(waits) * 1000:16.2f}")
    finally:
        container.stop()
        nx.terminate()
        drop()


def calls(config: dict, body: dict | None, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds of each refused post_need, and of each counts() asked meanwhile (with no
    body, of counts() alone)."""
    waits: list[float] = []
    done = eventlet.event.Event()

    def others():
        with ServiceRpcProxy("pledges", config) as rpc:
            while not done.ready():
                began = time.perf_counter()
                rpc.counts()
                waits.append(time.perf_counter() - began)
                eventlet.sleep(0.005)

    asking = eventlet.spawn(others)
    took = []
    with ServiceRpcProxy("pledges", config) as rpc:
        rpc.counts()
        for _ in range(repeat):
            began = time.perf_counter()
            if body is None:
                eventlet.sleep(0.02)
                continue
            try:
                rpc.post_need(body)
            except Invalid:
                took.append(time.perf_counter() - began)
    done.send()
    asking.wait()
    return took, waits


def main() -> None:
    logging.getLogger("nameko").setLevel(logging.ERROR)  # each refusal is an expected error
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--old", action="store_true", help="time the guard before 76bc19e too")
    args = parser.parse_args()
    guard_alone(args.repeat, args.old)
    loading(args.repeat)
    over_rabbitmq(args.repeat)


if __name__ == "__main__":
    main()
