"""Backing up and restoring the embedded store (one SQLite file).

The backup uses SQLite's online backup API, so it is a consistent copy of the database at
one moment even while the service writes to it (in WAL mode, writers go on meanwhile; the
copy starts again if a page it copied changes under it). A restore checks the file first (it
opens, passes ``PRAGMA integrity_check`` and holds Automator's tables), copies it with the
same API to a new file beside the store, removes the old write-ahead log and moves the copy
into place; it refuses while another process has the store open (a service would go on
writing to the replaced file).

An encrypted store (AUTOMATOR_STORE_KEY) is copied encrypted with the key that opens it:
SQLCipher copies pages only between files of one key.
"""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app import sqlite_file
from app.sqlite_file import Kind, StoreKeyError

# A backup copies this many pages at a time, so a busy service is never held up long.
PAGES_PER_STEP = 1024
REQUIRED_TABLES = frozenset({"workflows", "workflow_versions", "runs", "events", "tenants"})


class BackupError(Exception):
    """The copy cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    path: Path
    bytes: int
    workflows: int
    runs: int


def backup(database: Path, out: Path, keys: Sequence[str] = ()) -> Copied:
    """A consistent copy of ``database`` at ``out`` (which must not exist yet), encrypted
    with the one of ``keys`` that opens it."""
    if not database.exists():
        raise BackupError(f"no embedded store at {database}: is AUTOMATOR_DATA_DIR right?")
    if out.exists():
        raise BackupError(f"{out} exists; choose a new file (a backup never overwrites one)")
    _copy(database, out, keys)
    return check(out, keys)


def restore(
    backup_file: Path, database: Path, keys: Sequence[str] = (), *, even_if_open: bool = False
) -> Copied:
    """Replace ``database`` with ``backup_file`` (checked first). ``sqlite_file.InUse``
    while another process has the database open, unless ``even_if_open``."""
    copied = check(backup_file, keys)
    if not even_if_open:
        sqlite_file.check_unused(database)  # before the copy, not after it
    incoming = database.with_name(f"{database.name}.restoring")
    incoming.unlink(missing_ok=True)
    _copy(backup_file, incoming, keys)
    sqlite_file.replace(database, incoming, even_if_open=even_if_open)
    return Copied(database, database.stat().st_size, copied.workflows, copied.runs)


def _copy(source_file: Path, target_file: Path, keys: Sequence[str]) -> None:
    """Copy one SQLite database onto a new file with the online backup API, readable by
    the owner only (it holds every tenant's data). A copy that fails leaves no file."""
    target_file.parent.mkdir(parents=True, exist_ok=True)
    # Made the owner's before a page is written (SQLite gives its journal the same mode),
    # not after: no one else can open the copy while it fills.
    target_file.touch(mode=0o600, exist_ok=False)
    try:
        _fill(source_file, target_file, keys)
    except BaseException:
        target_file.unlink(missing_ok=True)
        raise


def _fill(source_file: Path, target_file: Path, keys: Sequence[str]) -> None:
    source, key = _opened(source_file, keys)
    try:
        target = sqlite_file.connect(target_file, [key] if key else [])
        try:
            source.backup(target, pages=PAGES_PER_STEP)
        finally:
            target.close()
    finally:
        source.close()


def check(path: Path, keys: Sequence[str] = ()) -> Copied:
    """What a backup holds; BackupError unless it is a whole Automator store that one of
    ``keys`` (none: a plain file) opens."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    found = sqlite_file.kind(path)
    if found is Kind.PLAIN and keys:
        raise BackupError(
            f"{path} is not encrypted and AUTOMATOR_STORE_KEY is set: restore it with "
            "AUTOMATOR_STORE_KEY unset, then run `automator store encrypt`"
        )
    if found is not Kind.PLAIN and not keys:
        raise BackupError(
            f"{path} is not an SQLite database, or an encrypted one: set AUTOMATOR_STORE_KEY "
            "to the key it was made with"
        )
    db, _ = _opened(path, keys)
    try:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        missing = REQUIRED_TABLES - tables
        if verdict != "ok" or missing:
            why = verdict if verdict != "ok" else f"no {', '.join(sorted(missing))} table"
            raise BackupError(f"{path} is not a sound Automator store: {why}")
        workflows = db.execute("SELECT count(*) FROM workflows").fetchone()[0]
        runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite_file.database_errors() as exc:
        raise BackupError(f"{path} is not a sound Automator store: {exc}") from None
    finally:
        db.close()
    return Copied(path, path.stat().st_size, int(workflows), int(runs))


def _opened(path: Path, keys: Sequence[str]) -> tuple[sqlite3.Connection, str | None]:
    """``path`` opened read-only, and the one of ``keys`` that opened it."""
    try:
        return sqlite_file.opened(path, keys, read_only=True)
    except StoreKeyError as exc:
        raise BackupError(str(exc)) from None
