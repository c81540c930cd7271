"""A process a test found (``tests/found.py``): a signal sent to it after it ended reaches
nothing, not whatever took its number since."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# A pid namespace of its own, where numbers go to the script alone and it may say which comes
# next: init there is sh, which ignores the signals it has no handler for, so the script runs
# as its child.
NAMESPACE = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc"]
# A child the script found ends; the next number is set to the child's, and the script's new
# thread takes it, as a busy machine's numbers (32,768 here) come round to it.
REUSED = """
import os, signal, subprocess, threading, time
from tests.found import Found

child = subprocess.Popen(["sleep", "60"])
# Popen returns once exec has closed its pipe, which the kernel does before it lays out the
# new command line: on a busy machine /proc shows an empty one for a moment.
given_up_at = time.monotonic() + 10
found = Found.child(os.getpid(), child.pid, "sleep")
while found is None and time.monotonic() < given_up_at:
    time.sleep(0.01)
    found = Found.child(os.getpid(), child.pid, "sleep")
assert found is not None and found.alive()
child.kill()
child.wait()
with open("/proc/sys/kernel/ns_last_pid", "w") as last:
    last.write(str(child.pid - 1))
done = threading.Event()
thread = threading.Thread(target=done.wait)
thread.start()
assert thread.native_id == child.pid, (thread.native_id, child.pid)
print("alive" if found.alive() else "ended")
try:
    found.signal(signal.SIGKILL)
except ProcessLookupError:
    print("not sent")
done.set()
thread.join()
print("survived")
"""


def in_a_namespace(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by this Python in a pid namespace of its own."""
    command = [*NAMESPACE, "sh", "-c", '"$0" -c "$1"; exit $?', sys.executable, script]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_signal_to_a_found_process_that_ended_never_reaches_what_took_its_number() -> None:
    """The number now names a thread of the script's own: /proc answers for it, and a
    SIGKILL sent by number ends the script, as one sent by a test on pytest's xdist worker
    ends the worker (and xdist hangs after replacing it)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare (util-linux) to make a pid namespace with")
    refused = subprocess.run([*NAMESPACE, "true"], capture_output=True, text=True, check=False)
    if refused.returncode != 0:
        pytest.skip(f"no pid namespace can be made here: {refused.stderr.strip()}")
    script = in_a_namespace(REUSED)
    assert (script.returncode, script.stdout) == (0, "ended\nnot sent\nsurvived\n"), script.stderr
