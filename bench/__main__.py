"""The benchmarks: ``make bench`` (``python -m bench``); bench/README.md says what each
figure means and records them.

Every throughput figure comes from wrk at concurrency 50, beside the bare FastAPI endpoint
(bench/bare.py, on the same uvicorn set-up) measured first and again last in the same run:
on cores shared with other work, a figure's share of it means more than its rate.
"""

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import batch, ingest, runs, timers
from bench.harness import Figure, Options, bare, measure

SCENARIOS: dict[str, Callable[[Options], list[Figure]]] = {
    "ingest": ingest.scenario,
    "batch": batch.scenario,
    "runs": runs.scenario,
    "workflows": timers.workflows,
}
# Scenarios whose figures are not rates: a line each, printed after the table.
NOTES: dict[str, Callable[[Options], list[str]]] = {
    "timers": timers.lateness,
    "waiting": timers.waiting_bytes,
}
HEADER = (
    "| figure | rate | share of bare: rate, CPU | p50 / p99 ms "
    "| CPU ms per event or run (by process) | failed | peak RSS MB |\n|---|---|---|---|---|---|---|"
)


def row(figure: Figure, rate: float, cpu_ms: float) -> str:
    """A line of the table, with shares of the baseline's ``rate`` and of its ``cpu_ms`` per
    request (CPU per request over CPU per event: the share if CPU alone limited both)."""
    share = (
        ""
        if figure.unit == "runs/s"
        else (f"{figure.rate / rate:.0%}, {cpu_ms / figure.cpu_ms:.0%}")
    )
    memory = ", ".join(f"{name} {mb:.0f}" for name, mb in figure.usage.rss_mb.items())
    failed = "; ".join(filter(None, [f"{figure.load.failed:,} requests", figure.note]))
    return (
        f"| {figure.name} | {figure.rate:,.0f} {figure.unit} | {share} "
        f"| {figure.load.p50_ms:.1f} / {figure.load.p99_ms:.1f} "
        f"| {figure.cpu_ms:.3g} ({figure.cpu_by_process()}) | {failed} | {memory} |"
    )


def context() -> str:
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True).stdout.strip()
    load = Path("/proc/loadavg").read_text().split()[:3]
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
        f"{os.cpu_count()} cores, load average {' '.join(load)}"
    )


def setting(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not name.startswith("AUTOMATOR_") or not equals:
        raise argparse.ArgumentTypeError(f"{text!r}: give AUTOMATOR_NAME=VALUE")
    return name, value


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="of load per ingest figure")
    parser.add_argument(
        "--run-seconds", type=float, default=5, help="of events starting runs, per runs figure"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="beside `automator api` (2: the fewest with which one takes over a dead one's "
        "runs; docs/operations.md, How many workers)",
    )
    parser.add_argument(
        "--set",
        type=setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an AUTOMATOR_* setting for the service (repeatable)",
    )
    every = [*SCENARIOS, *NOTES]
    parser.add_argument("--only", nargs="+", choices=every, default=every)
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record py-spy profiles of the service's processes into DIR",
    )
    return parser.parse_args()


def main() -> None:
    args = arguments()
    # This process reads the services' stores too (runs finished, timers): with their
    # settings, AUTOMATOR_STORE_KEY among them.
    os.environ.update(args.set)
    print(f"start: {context()}", flush=True)
    with tempfile.TemporaryDirectory() as directory, bare(Path(directory)) as baseline:
        options = Options(
            Path(directory),
            baseline.url,
            args.seconds,
            args.run_seconds,
            args.workers,
            dict(args.set),
            args.profile,
        )
        name = "bare FastAPI endpoint (bench/bare.py)"
        figures = [measure(baseline, name, "unheard", args.seconds, unit="requests/s")]
        first = figures[0]
        print(row(first, first.rate, first.cpu_ms), flush=True)
        notes = []
        for scenario in args.only:
            if scenario in NOTES:
                notes += NOTES[scenario](options)
                print(notes[-1], flush=True)
                continue
            for figure in SCENARIOS[scenario](options):
                print(row(figure, first.rate, first.cpu_ms), flush=True)
                figures.append(figure)
        figures.append(
            measure(baseline, f"{name}, again", "unheard", args.seconds, unit="requests/s")
        )
    rate = (figures[0].rate + figures[-1].rate) / 2
    cpu_ms = (figures[0].cpu_ms + figures[-1].cpu_ms) / 2
    print(
        f"\nend: {context()}\nshares of the bare endpoint's mean of its first and last "
        f"measurements: {rate:,.0f} requests/s, {cpu_ms:.3g} ms of CPU per request\n\n{HEADER}"
    )
    print("\n".join(row(figure, rate, cpu_ms) for figure in figures))
    print("".join(f"\n- {note}" for note in notes))


if __name__ == "__main__":
    main()
