"""The data directory: what the service keeps there (the SQLite database, Redis's append-only
file and dump, the secrets key) is for the service's user alone, so directories are created
0700 and files 0600. A directory that already exists is left as the operator made it (the
data dir may be a mount point), with a warning when others can read it."""

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

# For child processes that write data files themselves (redis-server): 0600 files, 0700 dirs.
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """``path``, created with any missing parents as 0700 directories."""
    missing = [part for part in (path, *path.parents) if not part.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for created in missing:
        created.chmod(0o700)  # mkdir's mode passes through the umask, and skips parents
    if not missing:
        _warn_if_open(path)
    return path


def private_file(path: Path) -> Path:
    """``path``, created empty and 0600 when missing, in a private directory."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _warn_if_open(path)
    return path


def _warn_if_open(path: Path) -> None:
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users: chmod go-rwx it", path)
