"""``automator dev`` (what ``make run`` starts), as a real process on a free port."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.redis_server import LocalRedisServer
from tests.conftest import SEEDS
from tests.found import Found, children, command_line
from tests.ports import on_a_free_port
from tests.sink import sink
from tests.waiting import COLD_START

AUTOMATOR = str(Path(sys.executable).parent / "automator")


def wait_for_health(url: str, process: subprocess.Popen[str], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        assert process.poll() is None, "automator dev exited early"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer on {url} within {seconds} s")


def assert_a_run_completes(base: str, headers: dict[str, str], workflow_id: str) -> None:
    """The worker runs inside ``automator dev``: an event's run completes with nothing else."""
    document = {
        "workflow_id": workflow_id,
        "name": "n",
        "trigger": {"type": workflow_id},
        "actions": [{"id": "hello", "type": "log", "data": {"message": "hi {{ user.id }}"}}],
    }
    assert httpx.post(f"{base}/api/workflows", json=document, headers=headers).status_code == 201
    event = {"type": workflow_id, "user": {"id": "u1"}}
    run_id = httpx.post(f"{base}/api/events", json=event, headers=headers).json()["run_ids"][0]
    for _ in range(200):
        run = httpx.get(f"{base}/api/runs/{run_id}", headers=headers).json()
        if run["status"] == "completed":
            assert run["outputs"]["hello"]["output"] == {"message": "hi u1"}
            return
        time.sleep(0.05)
    raise AssertionError(f"the run did not complete: {run['status']}")


def assert_a_schedule_fires(base: str, headers: dict[str, str]) -> None:
    """The scheduler runs inside ``automator dev`` too."""
    document = {
        "workflow_id": "ticker",
        "name": "n",
        "trigger": {"type": "schedule", "interval": 1},
        "actions": [{"type": "log"}],
    }
    assert httpx.post(f"{base}/api/workflows", json=document, headers=headers).status_code == 201
    for _ in range(100):
        runs = httpx.get(f"{base}/api/runs", params={"workflow_id": "ticker"}, headers=headers)
        if runs.json()["items"]:
            return
        time.sleep(0.1)
    raise AssertionError("the schedule never fired")


def test_dev_serves_the_seed_workflow_with_embedded_store_and_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {"AUTOMATOR_DATA_DIR": str(tmp_path / "var")}
    port, process = on_a_free_port(lambda port: piped_dev(env | {"AUTOMATOR_PORT": str(port)}))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base}/health", process, seconds=COLD_START)
        assert set(poll_ready(base, 200, time.monotonic() + COLD_START)) == {
            "store",
            "redis",
            "worker",
            "scheduler",
            "redis_server",
        }
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    key = next(line.strip() for line in output.splitlines() if line.strip().startswith("atm_"))
    assert f"Serving http://127.0.0.1:{port}: the Studio at /studio/" in output
    assert "Started a local Redis" in output
    # The generated secrets key is what dev runs on: one line says so, no warning nags.
    key_file = tmp_path / "var" / "secrets.key"
    assert output.count(str(key_file)) == 1, "named once, not again by the keyring's log"
    assert f"Generated a master key for stored secrets in {key_file}" in output
    assert "AUTOMATOR_SECRETS_KEY is not set" not in output
    assert (tmp_path / "var" / "automator.db").exists()
    assert (tmp_path / "var" / "redis" / "appendonly.aof").exists()
    assert not (tmp_path / "var" / "redis" / "redis.sock").exists(), "Redis was not stopped"
    assert process.returncode == 0
    assert len(key) > 40


def test_dev_takes_the_bootstrap_key_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    headers = {"Authorization": "Bearer atm_test_bootstrap_key_0123456789abcdef"}
    for attempt in range(2):
        port, process = dev_process(tmp_path)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(f"{base}/health", process, seconds=COLD_START)
            if attempt == 0:
                seed = (SEEDS / "welcome_campaign_001.json").read_bytes()
                created = httpx.post(f"{base}/api/workflows", content=seed, headers=headers)
                assert created.status_code == 201, created.text
            found = httpx.get(f"{base}/api/workflows/welcome_campaign_001", headers=headers)
            assert found.json()["version"] == 1
            assert_a_run_completes(base, headers, f"flow{attempt}")
            if attempt == 0:
                assert_a_schedule_fires(base, headers)
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=30)
        finally:
            process.kill()
        assert "atm_test_bootstrap_key" not in output, "a configured key is never printed"
        done = "Stored secrets are encrypted with" if attempt else "Generated a master key for"
        assert done in output, "a restart says the key is the one generated before"


def dev_process(tmp_path: Path) -> tuple[int, subprocess.Popen[str]]:
    """``automator dev`` over ``tmp_path``, on a port free when it binds (``tests/ports.py``)."""
    return on_a_free_port(lambda port: piped_dev(dev_env(tmp_path, port)))


def piped_dev(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [AUTOMATOR, "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


BOOTSTRAP_KEY = "atm_test_bootstrap_key_0123456789abcdef"


def redis_child(
    process: subprocess.Popen[str], deadline: float, other_than: Found | None = None
) -> Found:
    """The redis-server ``automator dev`` runs (another than ``other_than``), held by a
    pidfd (``Found``: signals sent later reach it or nothing), waiting for it up to
    ``deadline``."""
    while time.monotonic() < deadline:
        for found in children(process.pid, "redis-server"):
            if other_than is None or found.pid != other_than.pid:
                return found
        time.sleep(0.1)
    raise AssertionError("automator dev runs no redis-server (or no new one)")


def poll_ready(base: str, status: int, deadline: float) -> dict[str, str]:
    """The checks of /ready once it answers ``status``, polling until ``deadline``."""
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{base}/ready", timeout=5)
            if answer.status_code == status:
                return dict(answer.json()["checks"])
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"/ready never answered {status}")


def run_status(base: str, run_id: str) -> str | None:
    headers = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
    try:
        answer = httpx.get(f"{base}/api/runs/{run_id}", headers=headers, timeout=5)
    except httpx.TransportError:
        return None
    return str(answer.json()["status"]) if answer.status_code == 200 else None


def test_dev_heals_after_its_redis_is_gone_for_five_seconds(tmp_path: Path) -> None:
    """Redis stopped for 5 s, then killed: dev starts it again, /ready said 503 naming Redis
    meanwhile, and a run whose delay fell due during the outage completes within 15 s of
    Redis being back, with no restart of dev."""
    port, process = dev_process(tmp_path)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
    try:
        wait_for_health(f"{base}/health", process, seconds=COLD_START)
        healthy = poll_ready(base, 200, time.monotonic() + COLD_START)
        assert healthy == {
            "store": "ok",
            "redis": "ok",
            "worker": "ok",
            "scheduler": "ok",
            "redis_server": "ok",
        }
        document = {
            "workflow_id": "later",
            "name": "n",
            "trigger": {"type": "later"},
            "actions": [{"id": "hello", "type": "log", "delay": 2}],
        }
        assert httpx.post(f"{base}/api/workflows", json=document, headers=headers).is_success
        event = {"type": "later", "user": {"id": "u1"}}
        accepted = httpx.post(f"{base}/api/events", json=event, headers=headers)
        run_id = accepted.json()["run_ids"][0]
        redis = redis_child(process, time.monotonic() + 10)
        redis.signal(signal.SIGSTOP)
        outage = time.monotonic()
        down = poll_ready(base, 503, outage + 30)
        assert "unreachable" in down["redis"]
        time.sleep(max(0.0, 5 - (time.monotonic() - outage)))
        redis.signal(signal.SIGKILL)
        redis_child(process, time.monotonic() + 30, other_than=redis)
        back = time.monotonic()
        deadline = back + 15
        while run_status(base, run_id) != "completed":
            assert time.monotonic() < deadline, f"the run is {run_status(base, run_id)}"
            time.sleep(0.2)
        assert poll_ready(base, 200, time.monotonic() + 30)["redis"] == "ok"
        assert process.poll() is None, "automator dev was not restarted"
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    except BaseException:
        process.kill()
        print(process.communicate()[0])
        raise
    finally:
        process.kill()
    assert "redis-server exited" in output
    assert "worker crashed" in output or "worker stopped on its own" in output


ROOT = Path(__file__).parent.parent


def tree(process: subprocess.Popen[str]) -> list[Found]:
    """``process`` and every process below it, each held (``Found``): whether one is still
    alive is asked of it, not of a number another may have taken since."""
    held = Found.child(os.getpid(), process.pid, "")
    assert held is not None, "the process ended already"
    return [held, *descendants(held)]


def descendants(parent: Found) -> list[Found]:
    below = children(parent.pid)
    return below + [grandchild for child in below for grandchild in descendants(child)]


def dev_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    return env | {
        "AUTOMATOR_PORT": str(port),
        "AUTOMATOR_DATA_DIR": str(tmp_path / "var"),
        "AUTOMATOR_BOOTSTRAP_API_KEY": BOOTSTRAP_KEY,
    }


def stop_and_check_nothing_is_left(
    process: subprocess.Popen[str], signum: int, base: str, tmp_path: Path
) -> str:
    """Send ``signum`` to a serving process; every process of its tree ends, Redis too."""
    poll_ready(base, 200, time.monotonic() + COLD_START)
    held = tree(process)
    assert any("redis-server" in command_line(found.pid) for found in held)
    process.send_signal(signum)
    output, _ = process.communicate(timeout=COLD_START)
    assert [found.pid for found in held if found.alive()] == []
    assert not (tmp_path / "var" / "redis" / "redis.sock").exists()
    return output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_each_stop_signal_stops_dev_and_everything_it_started(
    tmp_path: Path, signum: signal.Signals
) -> None:
    port, process = dev_process(tmp_path)
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", process, seconds=COLD_START)
        stop_and_check_nothing_is_left(process, signum, f"http://127.0.0.1:{port}", tmp_path)
    finally:
        process.kill()
    assert process.returncode == 0


def test_ctrl_c_in_a_terminal_stops_dev_without_a_crash(tmp_path: Path) -> None:
    """A terminal's Ctrl-C sends SIGINT to its whole foreground process group: the Redis that
    dev started must not get it too, or it quits under the worker, which logs a crash."""

    def launch(port: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [AUTOMATOR, "dev"],
            env=dev_env(tmp_path, port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a process group of its own, as a terminal's job has
        )

    port, process = on_a_free_port(launch)
    base = f"http://127.0.0.1:{port}"
    try:
        poll_ready(base, 200, time.monotonic() + COLD_START)
        held = tree(process)
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=COLD_START)
    finally:
        process.kill()
    assert process.returncode == 0
    assert [found.pid for found in held if found.alive()] == []
    assert "crashed" not in output
    assert "Traceback" not in output


def test_sigterm_to_make_run_stops_the_whole_tree(tmp_path: Path) -> None:
    """``make run`` passes SIGTERM on to ``automator dev``, which stops the rest."""

    def launch(port: int) -> subprocess.Popen[str]:
        # The prerequisites (install, web) are up to date under `make test`: only run runs.
        return subprocess.Popen(
            ["make", "--no-print-directory", "-o", "install", "-o", "web", "run"],
            cwd=ROOT,
            env=dev_env(tmp_path, port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    port, process = on_a_free_port(launch)
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", process, seconds=COLD_START)
        stop_and_check_nothing_is_left(
            process, signal.SIGTERM, f"http://127.0.0.1:{port}", tmp_path
        )
    finally:
        process.kill()


def test_a_killed_devs_redis_ends_with_it_one_started_again_too(tmp_path: Path) -> None:
    port, killed = dev_process(tmp_path)
    base = f"http://127.0.0.1:{port}"
    first = again = None
    try:
        wait_for_health(f"{base}/health", killed, seconds=COLD_START)
        first = redis_child(killed, time.monotonic() + 10)
        first.signal(signal.SIGKILL)  # dev starts another, as it runs
        again = redis_child(killed, time.monotonic() + 30, other_than=first)
        assert poll_ready(base, 200, time.monotonic() + 30)["redis_server"] == "ok"
        killed.kill()
        killed.communicate(timeout=30)
        deadline = time.monotonic() + 30  # a guard against hanging, not a timing
        while again.alive():
            assert time.monotonic() < deadline, "SIGKILL of dev left its Redis running"
            time.sleep(0.05)
    finally:
        killed.kill()
        for found in (first, again):
            if found is not None:
                with contextlib.suppress(ProcessLookupError):  # it ended, as it should have
                    found.signal(signal.SIGKILL)


def test_a_redis_left_on_the_data_dir_is_stopped_at_dev_start(tmp_path: Path) -> None:
    """One left by a dev of a release before its Redis ended with it, or off Linux."""
    left = LocalRedisServer(tmp_path / "var" / "redis").start()
    try:
        port, process = dev_process(tmp_path)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(f"{base}/health", process, seconds=COLD_START)
            output = stop_and_check_nothing_is_left(process, signal.SIGTERM, base, tmp_path)
        finally:
            process.kill()
    finally:
        left.stop()
    assert "stopped redis-server (PID" in output


def refused_dev(tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    """``automator dev`` run to its end, as a start that is expected to refuse."""
    return subprocess.run(
        [AUTOMATOR, "dev"],
        env=dev_env(tmp_path, port),
        capture_output=True,
        text=True,
        timeout=COLD_START,
        check=False,
    )


def two_taken_ports() -> tuple[socket.socket, socket.socket]:
    """Two listening sockets on ports one after the other."""
    while True:
        first = socket.create_server(("127.0.0.1", 0))
        try:
            return first, socket.create_server(("127.0.0.1", first.getsockname()[1] + 1))
        except OSError:
            first.close()


def test_dev_on_a_port_in_use_says_which_setting_picks_another(tmp_path: Path) -> None:
    # The port after the taken one is taken too: it was suggested all the same.
    taken, next_taken = two_taken_ports()
    with taken, next_taken:
        port = taken.getsockname()[1]
        refused = refused_dev(tmp_path, port)
    assert refused.returncode == 2
    (said,) = refused.stderr.splitlines()
    stem = (
        f"Cannot serve the API on 127.0.0.1:{port}: Address already in use. Stop what uses "
        "the port, or pick another with AUTOMATOR_PORT (e.g. AUTOMATOR_PORT="
    )
    assert said.startswith(stem)
    assert said.endswith(", free now).")
    suggested = int(said.removeprefix(stem).split(",")[0])
    assert port + 1 < suggested <= port + 20
    # It stopped before starting anything: no Redis, no store.
    assert not (tmp_path / "var" / "redis").exists()
    assert not (tmp_path / "var" / "automator.db").exists()


def test_a_second_dev_on_a_served_data_dir_refuses_in_one_line(tmp_path: Path) -> None:
    port, first = dev_process(tmp_path)
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", first, seconds=COLD_START)
        with socket.socket() as elsewhere:
            # Held, so no one else listens there: the data dir's lock refuses before a bind.
            elsewhere.bind(("127.0.0.1", 0))
            second = refused_dev(tmp_path, elsewhere.getsockname()[1])
        assert second.returncode == 1
        assert second.stderr.splitlines() == [
            f"another automator dev (PID {first.pid}, port {port}) already serves "
            f"{(tmp_path / 'var').resolve()}; stop it first, or set AUTOMATOR_DATA_DIR to "
            "another directory"
        ]
        assert first.poll() is None
        stop_and_check_nothing_is_left(first, signal.SIGTERM, f"http://127.0.0.1:{port}", tmp_path)
    finally:
        first.kill()


def held_request(port: int) -> tuple[socket.socket, bytes]:
    """An event sent but for the last bytes of its body: the API has it in flight until the
    rest comes. The socket, and what is left to send."""
    body = json.dumps({"type": "nobody_listens"}).encode()
    head = (
        "POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {BOOTSTRAP_KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    held = socket.create_connection(("127.0.0.1", port), timeout=30)
    held.sendall(head.encode() + body[:-2])
    return held, body[-2:]


def test_dev_completes_runs_while_its_api_has_requests_in_flight(tmp_path: Path) -> None:
    """While the API has requests in flight, the worker in its process walks at most
    AUTOMATOR_DEV_JOBS_WHILE_SERVING runs at once (the sink never holds more calls), and its
    runs complete though the requests stay in flight throughout; the requests are answered."""
    env = {"AUTOMATOR_DEV_JOBS_WHILE_SERVING": "1", "AUTOMATOR_HTTP_ALLOWED_HOSTS": "127.0.0.1"}
    port, process = on_a_free_port(
        lambda port: subprocess.Popen(
            [AUTOMATOR, "dev"],
            env=dev_env(tmp_path, port) | env,
            stdout=subprocess.DEVNULL,
            text=True,
        )
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
    try:
        with sink(delay=0.2) as hooks:
            # Its worker polling: its reconciler's first pass takes no run made after this.
            wait_for_health(f"{base}/ready", process, seconds=COLD_START)
            call = {"type": "webhook_call", "data": {"url": f"{hooks.url}/calls", "json": {}}}
            document = {
                "workflow_id": "calls",
                "name": "n",
                "trigger": {"type": "go"},
                "actions": [{"id": "call", **call}],
            }
            assert httpx.post(f"{base}/api/workflows", json=document, headers=headers).is_success
            held = [held_request(port) for _ in range(3)]
            batch = {"events": [{"type": "go", "data": {"n": n}} for n in range(6)]}
            sent = httpx.post(f"{base}/api/events/batch", json=batch, headers=headers)
            run_ids = [run_id for result in sent.json()["results"] for run_id in result["run_ids"]]
            deadline = time.monotonic() + COLD_START
            while {run_status(base, run_id) for run_id in run_ids} != {"completed"}:
                assert time.monotonic() < deadline, "the runs did not complete"
                time.sleep(0.1)
            for connection, rest in held:
                connection.sendall(rest)
                assert connection.recv(4096).startswith(b"HTTP/1.1 202 ")
                connection.close()
        assert len(run_ids) == 6
        assert hooks.most_in_flight == 1
    finally:
        process.terminate()
        process.wait(timeout=COLD_START)
