"""py-spy profiles of a service's processes while a scenario's load runs
(``python -m bench --profile DIR``, ``make bench BENCH_ARGS="--profile var/profiles"``).

Each ``automator`` process is sampled 100 times a second without being paused
(``--nonblocking``), idle waits left out. The collapsed stacks, what flame graphs are drawn
from, go to DIR (open them in https://www.speedscope.app, or pipe them to flamegraph.pl or
inferno-flamegraph for an SVG); the functions holding the most samples are printed, by
their own time (self) and with what they called (total).
"""

import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import DEVNULL

PY_SPY = str(Path(sys.executable).parent / "py-spy")
LINE = re.compile(r":\d+\)$")


def top_frames(collapsed: str, count: int = 15) -> list[tuple[str, float, float]]:
    """The ``count`` functions with the most samples of their own in py-spy's raw output
    (``frame;frame;... samples`` per line): (function (file), self share, total share)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, number = line.rpartition(" ")
        frames = [LINE.sub(")", frame) for frame in stack.split(";")]
        n = int(number)
        samples += n
        own[frames[-1]] += n
        total.update(dict.fromkeys(frames, n))
    return [(frame, n / samples, total[frame] / samples) for frame, n in own.most_common(count)]


def report(path: Path, count: int = 15) -> str:
    rows = top_frames(path.read_text(), count)
    lines = [f"{path.name}: self  total  function (file)"]
    lines += [f"  {own:5.1%} {total:6.1%}  {frame}" for frame, own, total in rows]
    return "\n".join(lines)


def record(pid: int, path: Path) -> list[str]:
    """py-spy sampling ``pid`` into ``path`` until interrupted."""
    options = ["--rate", "100", "--nonblocking", "--format", "raw", "--output", str(path)]
    return [PY_SPY, "record", "--pid", str(pid), *options]


@contextmanager
def profiling(pids: dict[str, int], directory: Path | None, label: str) -> Iterator[None]:
    """Record each process in ``pids`` (name: pid) under ``directory`` while the block
    runs, then print its top frames; nothing when ``directory`` is None."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    paths = {name: directory / f"{slug}.{name}.collapsed.txt" for name in pids}
    recorders = [
        subprocess.Popen(record(pid, paths[name]), stdout=DEVNULL, stderr=DEVNULL)
        for name, pid in pids.items()
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl+C
        for recorder in recorders:
            recorder.wait(timeout=60)
    for path in paths.values():
        if path.exists():
            print(report(path), flush=True)
