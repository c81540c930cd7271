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

from bench import batch, ingest, runs
from bench.harness import Figure, Options, bare, measure

SCENARIOS: dict[str, Callable[[Options], list[Figure]]] = {
    "ingest": ingest.scenario,
    "batch": batch.scenario,
    "runs": runs.scenario,
}
HEADER = (
    "| figure | rate | share of bare | p50 / p99 ms | CPU ms per event or run (by process) "
    "| failed | peak RSS MB |\n|---|---|---|---|---|---|---|"
)


def row(figure: Figure, baseline: float) -> str:
    share = "" if figure.unit == "runs/s" else f"{figure.rate / baseline:.0%}"
    memory = ", ".join(f"{name} {mb:.0f}" for name, mb in figure.usage.rss_mb.items())
    failed = "; ".join(filter(None, [f"{figure.load.failed:,} requests", figure.note]))
    return (
        f"| {figure.name} | {figure.rate:,.0f} {figure.unit} | {share} "
        f"| {figure.load.p50_ms:.1f} / {figure.load.p99_ms:.1f} "
        f"| {figure.cpu_ms:.2f} ({figure.cpu_by_process()}) | {failed} | {memory} |"
    )


def context() -> str:
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True).stdout.strip()
    load = Path("/proc/loadavg").read_text().split()[:3]
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, "
            f"{os.cpu_count()} cores, load average {' '.join(load)}")  # fmt: skip


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="of load per ingest figure")
    parser.add_argument("--run-seconds", type=float, default=5,
                        help="of events starting runs, per runs figure")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="beside `automator api`")
    parser.add_argument(
        "--rate-limit", type=int, help="AUTOMATOR_RATE_LIMIT (default: the service's)"
    )
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record py-spy profiles of the service's processes into DIR")  # fmt: skip
    return parser.parse_args()


def main() -> None:
    args = arguments()
    print(f"start: {context()}", flush=True)
    with tempfile.TemporaryDirectory() as directory, bare(Path(directory)) as baseline:
        options = Options(Path(directory), baseline.url, args.seconds, args.run_seconds,
                          args.workers, args.rate_limit, args.profile)  # fmt: skip
        name = "bare FastAPI endpoint (bench/bare.py)"
        figures = [measure(baseline, name, "unheard", args.seconds, unit="requests/s")]
        print(row(figures[0], figures[0].rate), flush=True)
        for scenario in args.only:
            for figure in SCENARIOS[scenario](options):
                print(row(figure, figures[0].rate), flush=True)
                figures.append(figure)
        figures.append(measure(baseline, f"{name}, again", "unheard", args.seconds,
                               unit="requests/s"))  # fmt: skip
    baseline_rate = (figures[0].rate + figures[-1].rate) / 2
    print(f"\nend: {context()}\nshares of the bare endpoint's mean of the first and last "
          f"measurements, {baseline_rate:,.0f} requests/s\n\n{HEADER}")  # fmt: skip
    print("\n".join(row(figure, baseline_rate) for figure in figures))


if __name__ == "__main__":
    main()
