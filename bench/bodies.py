"""Large bodies: ``python -m bench.bodies [--events 8] [--mb 7] [--max-large-bodies N]``.

Starts ``automator dev`` (bench.harness's service) and sends ``--events`` events of about
``--mb`` MB each at once, while a second client asks ``/health`` every 20 ms and this process
reads the service's RSS every 20 ms, with that of its child processes (builds from
766ddfd checked large bodies in one; the issue's target counts the service's memory).
Prints the RSS before and at its peak (the service's process, and with its children), the
slowest and median ``/health`` answers during the burst, and how long the burst took.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from bench.harness import KEY, Options, automator

PERIOD = 0.02  # seconds between two samples of RSS and of /health


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def children_rss_mb(pid: int) -> float:
    """RSS of the service's multiprocessing children (a large-body checker and its
    resource tracker, in builds that had one); its Redis is the harness's, not its child."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and b"multiprocessing" in (stat.parent / "cmdline").read_bytes():
                total += rss_mb(int(stat.parent.name))
        except (OSError, StopIteration):
            continue  # gone meanwhile
    return total


def big_event(mb: float, n: int) -> bytes:
    """An event whose data holds about ``mb`` MB of JSON: many small records, the shape of a
    bulk export (parsing cost grows with the number of values, not only the bytes)."""
    record = {"sku": "SKU-0000000", "name": "a product with a name", "price": 12.5, "qty": 3}
    count = int(mb * 1024 * 1024 / len(orjson.dumps(record)))
    items = [{**record, "sku": f"SKU-{i:07d}"} for i in range(count)]
    return orjson.dumps({"type": "bulk", "user": {"id": f"u{n}"}, "data": {"items": items}})


async def sample(
    url: str, pid: int, stop: asyncio.Event
) -> tuple[list[float], list[float], list[float]]:
    """RSS in MB (the service's process, and with its children) and /health latencies in
    ms, every PERIOD until ``stop``."""
    rss: list[float] = []
    total: list[float] = []
    health: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while not stop.is_set():
            rss.append(rss_mb(pid))
            total.append(rss[-1] + children_rss_mb(pid))
            started = time.perf_counter()
            (await client.get("/health")).raise_for_status()
            health.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(PERIOD)
    return rss, total, health


async def burst(url: str, bodies: list[bytes]) -> list[int]:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        responses = await asyncio.gather(
            *(client.post("/api/events", content=body) for body in bodies)
        )
    return [response.status_code for response in responses]


async def bench(args: argparse.Namespace, directory: Path) -> None:
    bodies = [big_event(args.mb, n) for n in range(args.events)]
    settings = {}
    if args.max_large_bodies is not None:
        settings["AUTOMATOR_MAX_LARGE_BODIES"] = str(args.max_large_bodies)
    options = Options(
        directory, sink="", seconds=0, run_seconds=0, workers=0, settings=settings, profiles=None
    )
    with automator(options, "bodies", ["dev"]) as service:
        pid = service.processes["dev"].pid
        await asyncio.sleep(1)
        before = rss_mb(pid)
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(service.url, pid, stop))
        started = time.perf_counter()
        statuses = await burst(service.url, bodies)
        took = time.perf_counter() - started
        await asyncio.sleep(0.5)
        stop.set()
        rss, total, health = await sampler
    size = statistics.mean(len(body) for body in bodies) / 1024 / 1024
    print(
        f"{args.events} events of {size:.1f} MB at once: answers {sorted(set(statuses))}, "
        f"burst took {took:.1f} s"
    )
    print(
        f"RSS of the service: {before:.0f} MB before, {max(rss):.0f} MB at the peak; "
        f"with its children {max(total):.0f} MB at the peak"
    )
    print(
        f"/health during the burst ({len(health)} asks): median {statistics.median(health):.0f} "
        f"ms, slowest {max(health):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=8, help="events sent at once")
    parser.add_argument("--mb", type=float, default=7, help="size of each event, in MB")
    parser.add_argument(
        "--max-large-bodies", type=int, help="AUTOMATOR_MAX_LARGE_BODIES (default: the service's)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(bench(args, Path(directory)))


if __name__ == "__main__":
    main()
