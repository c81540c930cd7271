"""The benchmark harness's readings: wrk's output, /proc, py-spy's stacks (no wrk run)."""

import logging
import os
from pathlib import Path

import pytest

from app.datadir import private_dir
from bench.harness import TICKS, cpu_seconds, data_dir, parse_wrk, peak_rss_mb
from bench.profile import top_frames
from bench.timers import percentiles

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:18123/api/events
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     9.53ms    5.42ms 112.84ms   85.44%
    Req/Sec     2.69k   781.33     4.59k    80.00%
  16123 requests in 3.03s, 2.29MB read
  Non-2xx or 3xx responses: 123
Requests/sec:   5319.52
Transfer/sec:    774.07KB
WRK_JSON {"requests":16123,"duration_us":3030914,"non_2xx":123,"socket_errors":2,\
"p50_us":8747,"p99_us":22002,"max_us":112840}
"""


def test_wrk_figures_count_only_successful_requests() -> None:
    load = parse_wrk(WRK_OUTPUT)
    assert load.requests == 16123
    assert load.failed == 125  # 429s and the like, and socket errors
    assert load.succeeded == 15998
    assert load.rate == pytest.approx(15998 / 3.030914)
    assert (load.p50_ms, load.p99_ms) == (8.747, 22.002)


def test_wrk_output_without_the_scripts_line_is_refused() -> None:
    with pytest.raises(ValueError, match="WRK_JSON"):
        parse_wrk(WRK_OUTPUT.split("WRK_JSON")[0])


def test_cpu_seconds_add_user_system_and_children_after_an_awkward_name() -> None:
    # utime 250, stime 50, cutime 100, cstime 0 ticks; the name holds spaces and ") ".
    stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 100 0 20 0 3 0"
    assert cpu_seconds(stat) == pytest.approx(400 / TICKS)


def test_cpu_seconds_of_this_process_agree_with_os_times() -> None:
    sum(range(3_000_000))
    times = os.times()
    read = cpu_seconds(Path(f"/proc/{os.getpid()}/stat").read_text())
    kernel = times.user + times.system + times.children_user + times.children_system
    assert read == pytest.approx(kernel, abs=2 / TICKS)


def test_peak_rss_is_read_in_megabytes() -> None:
    status = "Name:\tpython\nVmPeak:\t  300000 kB\nVmHWM:\t  102400 kB\nVmRSS:\t   51200 kB\n"
    assert peak_rss_mb(status) == 100


def test_top_frames_share_samples_by_function_self_and_total() -> None:
    collapsed = (
        "run (asyncio/runners.py:118);accept (app/triggers/ingest.py:80);write (app/store/sqlite.py:10) 6\n"
        "run (asyncio/runners.py:118);accept (app/triggers/ingest.py:85) 2\n"
        "run (asyncio/runners.py:118);dumps (json/__init__.py:231) 2\n"
    )
    rows = top_frames(collapsed, count=2)
    assert rows == [
        ("write (app/store/sqlite.py)", 0.6, 0.6),
        ("accept (app/triggers/ingest.py)", 0.2, 0.8),  # its lines are one function
    ]


def test_lateness_percentiles_read_from_the_sorted_values() -> None:
    text = percentiles([float(n) for n in range(1000, 0, -1)])
    assert text == "p50 500, p95 951, p99 991, max 1,000 ms"


def test_a_services_data_dir_draws_no_warning_that_others_can_read_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = data_dir(tmp_path, "ingest-dev")
    with caplog.at_level(logging.WARNING, logger="app.datadir"):
        private_dir(directory)  # what `automator` does with AUTOMATOR_DATA_DIR at its start
    assert caplog.messages == []
