"""bench/README.md ties each figure to the commit it measured: every commit it cites must be
in this branch's history. A commit measured on a helper's branch and cited before a rebase
keeps its old hash, which main never gets (e792286 was cited for what landed as 49d20e2)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
# An abbreviated hash: 7 to 40 hex digits with a letter among them (plain numbers are figures),
# not the mantissa of a float in exponent form (`1.8446744073709552e+19`).
CITED = re.compile(r"(?<![.\d])\b(?=[0-9]*[a-f])[0-9a-f]{7,40}\b(?![+-]\d)")


def in_history(commit: str) -> bool:
    found = subprocess.run(
        ["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=ROOT, capture_output=True
    )
    return found.returncode == 0


def test_every_commit_the_bench_readme_cites_is_in_this_branchs_history() -> None:
    cited = set(CITED.findall((ROOT / "bench" / "README.md").read_text()))
    assert len(cited) > 10, "the figures cite the commits they measured"
    assert sorted(commit for commit in cited if not in_history(commit)) == []


def test_a_commit_outside_the_history_is_told_from_one_in_it() -> None:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert in_history(head)
    assert not in_history("e792286")  # 49d20e2 before its rebase
    assert CITED.findall("1,202 bytes, 2026120 and (49d20e2)") == ["49d20e2"]
    assert CITED.findall("`1.8446744073709552e+19` (49d20e2)") == ["49d20e2"]
