"""The table: each measure for every code version side by side, with the targets."""

import math
import statistics

TARGET_P95_MS = 300


def mean(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else float("nan")


def ratio(a, b) -> float:
    return a / b if a is not None and b else float("nan")


def latency_rows(got: dict) -> list[tuple[str, float, int]]:
    plain = got.get("plain")
    if not plain:
        return []
    runs = plain["latency"]
    rows = [(f"need -> email p95 ms at 20/s, run {n}", r.p95, 1) for n, r in enumerate(runs, 1)]
    rows += [
        ("need -> email p50 ms at 20/s, median of runs", statistics.median(r.p50 for r in runs), 1),
        (f"runs with p95 < {TARGET_P95_MS} ms", sum(r.p95 < TARGET_P95_MS for r in runs), 0),
        ("emails received / needs posted (all runs)", mean(r.emailed for r in runs), 3),
        ("needs emailed more than once", sum(r.duplicates for r in runs), 0),
        ("gateway GET /api/offers per s (8 clients)", plain["gets"], 1),
    ]
    return rows


def get_rows(got: dict) -> list[tuple[str, float, int]]:
    runs = got.get("gets") or []
    rows = [
        (f"GET /api/offers per s, 8 clients, alone, run {n}", r, 1) for n, r in enumerate(runs, 1)
    ]
    if runs:
        rows.append(("GET /api/offers per s, 8 clients, alone, median", statistics.median(runs), 1))
    return rows


def throughput_rows(got: dict, storage: float) -> list[tuple[str, float, int]]:
    one, two = got.get("burst1"), got.get("burst2")
    rows = get_rows(got)
    for workers, rates in ((1, one), (2, two)):
        if rates:
            rows.append((f"needs matched/s, {workers} matching worker(s)", rates[0], 1))
            rows.append((f"needs emailed/s, {workers} matching worker(s)", rates[1], 1))
    if two:
        per_storage = 1000 * two[1] / storage
        rows.append(("emailed/s (2 workers) per 1000 raw storage pairs/s", per_storage, 1))
    if one and two:
        rows.append(("second matching worker adds, % emailed/s", 100 * (two[1] / one[1] - 1), 0))
    return rows


def scenario_rows(got: dict) -> list[tuple[str, float, int]]:
    rows, small, big = [], got.get("wall_small"), got.get("wall_big")
    for label, wall in (("1k", small), ("100k", big)):
        if wall:
            rows += [(f"need -> email p50 ms, {label} active offers", wall.p50, 1)]
            rows += [(f"need -> email p95 ms, {label} active offers", wall.p95, 1)]
    if small and big:
        rows += [("p95 100k / 1k offers (target <= 1.5)", ratio(big.p95, small.p95), 2)]
    busy, plain = got.get("waiting"), got.get("plain")
    if busy:
        rows += [("need -> email p50 ms, 1000 waiting + 100 events", busy.p50, 1)]
        rows += [("need -> email p95 ms, 1000 waiting + 100 events", busy.p95, 1)]
        rows += [("needs emailed more than once, waiting run", busy.duplicates, 0)]
        if plain:
            quiet = statistics.median(r.p95 for r in plain["latency"])
            rows += [("p95 waiting / none waiting (target <= 1.5)", ratio(busy.p95, quiet), 2)]
    return rows


def table(results: dict[str, dict], machine: list[tuple[str, float, int]]) -> str:
    """Rows of measures, a column per code version; the machine's own rows first."""
    labels = list(results)
    storage = mean(v for name, v, _ in machine if name.startswith("raw storage"))
    by_code = {
        label: {
            name: (v, d)
            for name, v, d in latency_rows(got) + throughput_rows(got, storage) + scenario_rows(got)
        }
        for label, got in results.items()
    }
    names = list(dict.fromkeys(n for rows in by_code.values() for n in rows))
    lines = [f"| measure | {' | '.join(labels)} |", "|---|" + "---|" * len(labels)]
    blank = " |" * (len(labels) - 1)
    lines += [f"| {name} | {value:.{d}f} |{blank}" for name, value, d in machine]
    for name in names:
        cells = [by_code[label].get(name) for label in labels]
        shown = ["n/a" if c is None or math.isnan(c[0]) else f"{c[0]:.{c[1]}f}" for c in cells]
        lines.append(f"| {name} | {' | '.join(shown)} |")
    return "\n".join(lines)
