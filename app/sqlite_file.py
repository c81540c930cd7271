"""The embedded store's SQLite file, opened as it is: plain, through the standard library's
sqlite3, or encrypted, through SQLCipher (the ``sqlcipher3`` package, Automator's
``encryption`` extra) when AUTOMATOR_STORE_KEY holds its key. SQLCipher is imported only
then: a process without a key loads nothing more and runs the same statements as before.

SQLCipher encrypts every page of the file and of its write-ahead log (AES-256, each page
authenticated by an HMAC); the ``-shm`` file holds only the log's index, no data. Its wheels
keep temporary tables and sorts in memory (compiled with ``SQLITE_TEMP_STORE=2``), so no
plain page is spilled to a temporary file either.

A file's first 16 bytes tell a plain one (SQLite's header) from an encrypted one (SQLCipher's
random salt), so a key set on a plain file, or none on an encrypted one, is refused before a
statement runs, with what to do instead of SQLite's "file is not a database".
"""

import errno
import fcntl
import importlib
import os
import sqlite3
import struct
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any

# Every plain SQLite file begins with these 16 bytes; an SQLCipher file with a random salt.
PLAIN_HEADER = b"SQLite format 3\x00"
CIPHER_MODULE = "sqlcipher3.dbapi2"
INSTALL = "pip install 'automator[encryption]'"
# SQLite's locks on a file (https://www.sqlite.org/lockingv3.html; the unix VFS, SQLCipher's
# too): a connection reading it holds a read lock on these bytes, and in WAL mode (the
# store's) keeps it for as long as it is open; a write lock over them is SQLite's EXCLUSIVE.
SHARED_FIRST = 0x40000000 + 2  # past the PENDING and RESERVED bytes, at 1 GiB
SHARED_SIZE = 510
# ``struct flock`` as 64-bit Linux lays it out: type, whence, start, length, pid.
FLOCK = struct.Struct("hhqqi4x")
# How much of a holder's command line a refusal shows.
COMMAND_CHARS = 160


class StoreKeyError(Exception):
    """The store's file and AUTOMATOR_STORE_KEY do not go together, or SQLCipher is not
    installed; the message says what to do."""


class InUse(Exception):
    """Another process has the store's file open; the message names it and what to do."""


class Kind(Enum):
    NEW = "new"  # absent or empty: opening creates it
    PLAIN = "plain"
    OTHER = "other"  # encrypted, or not an SQLite file at all


def kind(path: Path) -> Kind:
    """What ``path`` holds, from its first bytes."""
    try:
        with path.open("rb") as file:
            header = file.read(len(PLAIN_HEADER))
    except FileNotFoundError:
        return Kind.NEW
    if not header:
        return Kind.NEW
    return Kind.PLAIN if header == PLAIN_HEADER else Kind.OTHER


def driver(keys: Sequence[str]) -> ModuleType:
    """The DB-API module that opens the file: SQLCipher's when there are keys."""
    if not keys:
        return sqlite3
    try:
        module: ModuleType = importlib.import_module(CIPHER_MODULE)
    except ImportError:
        raise StoreKeyError(
            "AUTOMATOR_STORE_KEY is set, which needs SQLCipher, and it is not installed: "
            f"run `{INSTALL}` (or unset AUTOMATOR_STORE_KEY to keep the store plain)"
        ) from None
    return module


def connect(path: Path, keys: Sequence[str], **options: Any) -> sqlite3.Connection:
    """``path`` opened with ``sqlite3.connect``'s ``options``: plainly when ``keys`` is
    empty, else with the one of ``keys`` that opens it (a new file is keyed with the first).
    StoreKeyError when the file and the keys do not go together."""
    return opened(path, keys, **options)[0]


def opened(
    path: Path, keys: Sequence[str], *, read_only: bool = False, **options: Any
) -> tuple[sqlite3.Connection, str | None]:
    """``connect``, and the key that opened the file (None: plain); ``read_only``: opened
    so, which leaves a missing file missing."""
    found = kind(path)
    target = f"file:{path}?mode=ro" if read_only else path
    options = {**options, "uri": True} if read_only else options
    if not keys:
        if found is Kind.OTHER:
            raise StoreKeyError(
                f"{path} is encrypted (or is no SQLite file): set AUTOMATOR_STORE_KEY to the "
                "key it was encrypted with (docs/security.md#encryption-at-rest)"
            )
        return sqlite3.connect(target, **options), None
    if found is Kind.PLAIN:
        raise StoreKeyError(
            f"AUTOMATOR_STORE_KEY is set but {path} is not encrypted: stop every process "
            "using it and run `automator store encrypt`, or unset AUTOMATOR_STORE_KEY"
        )
    for key in keys[:1] if found is Kind.NEW else keys:
        db = keyed(target, key, **options)
        if opens(db):
            return db, key
        db.close()
    raise StoreKeyError(
        f"no key in AUTOMATOR_STORE_KEY opens {path}: set the key it was encrypted with "
        "(while changing keys, `new,old`), or it is no Automator store"
    )


def keyed(path: Path | str, key: str, **options: Any) -> sqlite3.Connection:
    """``path`` opened by SQLCipher with ``key`` (64 hexadecimal digits, used as the key
    itself: no passphrase to stretch), not yet read."""
    db: sqlite3.Connection = driver([key]).connect(path, **options)
    # SQLCipher writes each failed page check to stderr; a wrong key is told in words here.
    db.execute("PRAGMA cipher_log_level = NONE")
    db.execute(f"PRAGMA key = \"x'{key}'\"")
    return db


def opens(db: sqlite3.Connection) -> bool:
    """Whether the key ``db`` was given decrypts its file."""
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except database_errors():
        return False
    return True


def operational_errors() -> tuple[type[Exception], ...]:
    """SQLite's failures of the moment ("database is locked", I/O), as each driver loaded
    raises them."""
    return _loaded("OperationalError")


def integrity_errors() -> tuple[type[Exception], ...]:
    return _loaded("IntegrityError")


def database_errors() -> tuple[type[Exception], ...]:
    return _loaded("DatabaseError")


def sqlite_errors() -> tuple[type[Exception], ...]:
    """Every error of each driver loaded (its ``Error``, their base)."""
    return _loaded("Error")


def _loaded(name: str) -> tuple[type[Exception], ...]:
    """The exception class ``name`` of each SQLite driver this process loaded: SQLCipher's
    are not the standard library's. Called by except clauses, which evaluate their classes
    only when something was raised, so a process that never opened an encrypted store
    never imports SQLCipher to catch its errors."""
    cipher = sys.modules.get(CIPHER_MODULE)
    drivers = (sqlite3,) if cipher is None else (sqlite3, cipher)
    return tuple(getattr(module, name) for module in drivers)


def encrypt(path: Path, keys: Sequence[str], *, even_if_open: bool = False) -> str | None:
    """Rewrite ``path`` encrypted with the first of ``keys``: a plain file, or one another
    of ``keys`` opens; the key that opened it (None: it was plain), which is the first when
    there was nothing to do. SQLCipher's ``sqlcipher_export`` copies it into a new file
    beside it, moved into place once whole, so a failure leaves the store as it was. InUse
    while another process has it open, unless ``even_if_open``."""
    if kind(path) is Kind.NEW:
        raise StoreKeyError(f"no store at {path} yet: the service creates it encrypted")
    if not even_if_open:
        check_unused(path)  # before the copy, not after it
    source, key = _source(path, keys)
    encrypted = path.with_name(f"{path.name}.encrypting")
    try:
        if key == keys[0]:
            return key
        encrypted.unlink(missing_ok=True)
        source.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(encrypted), f"x'{keys[0]}'"))
        source.execute("SELECT sqlcipher_export('encrypted')")
        source.execute("DETACH DATABASE encrypted")
    finally:
        source.close()  # the last connection: SQLite checkpoints the log and deletes it
    encrypted.chmod(0o600)
    replace(path, encrypted, even_if_open=even_if_open)
    return key


def replace(path: Path, new: Path, *, even_if_open: bool = False) -> None:
    """Put the SQLite file ``new`` in the place of ``path`` and its write-ahead log (a copy
    made through a connection holds the log's pages), holding ``unused``'s lock meanwhile.
    ``new`` is removed when it cannot be (InUse)."""
    try:
        with unused(path, even_if_open=even_if_open):
            for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            new.replace(path)
    except BaseException:
        new.unlink(missing_ok=True)
        raise


@contextmanager
def unused(path: Path, *, even_if_open: bool = False) -> Iterator[None]:
    """SQLite's exclusive lock on ``path``, held for the block: no process can open the file
    meanwhile. InUse, naming the process, while another has it open: a service keeps its
    connection for as long as it runs, and one left running as the file is replaced would
    go on writing to the old one, its writes lost. Nothing to hold when there is no file,
    or with ``even_if_open``. Only for a process with no connection of its own to ``path``:
    closing a descriptor lets go of every POSIX lock the process holds on the file."""
    fd = None if even_if_open else _opened_if_there(path)
    try:
        if fd is not None:
            _lock(fd, path)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # which lets go of the lock


def check_unused(path: Path) -> None:
    """InUse while another process has ``path`` open (``unused``), said at once."""
    with unused(path):
        pass


def _opened_if_there(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, SHARED_SIZE, SHARED_FIRST)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):  # POSIX lets a system say either
            raise
        raise InUse(
            f"{path} is open in {_holder(fd)}: stop it, and every other process using the "
            "store (automator dev, api, worker, scheduler), then run this again. One left "
            "running would go on writing to the replaced file, and lose what it writes "
            "(--even-if-open goes on regardless)."
        ) from None


def _holder(fd: int) -> str:
    """The process holding a lock that SQLite's exclusive lock on ``fd``'s file meets."""
    if sys.platform != "linux":  # FLOCK is Linux's layout, and /proc Linux's
        return "another process"
    asked = FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, SHARED_FIRST, SHARED_SIZE, 0)
    pid: int = FLOCK.unpack(fcntl.fcntl(fd, fcntl.F_GETLK, asked))[4]
    if pid <= 0:  # let go of since
        return "another process"
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:  # ended since
        return f"PID {pid}"
    command = shown_command(arg.decode(errors="replace") for arg in args)
    return f"PID {pid}: {command}"


def shown_command(args: Iterable[str]) -> str:
    """A command line as a refusal shows it: its end when it is long, which says what the
    process is (``automator api``) where the start is the interpreter's and the script's
    paths."""
    command = " ".join(args)
    return command if len(command) <= COMMAND_CHARS else f"…{command[1 - COMMAND_CHARS :]}"


def _source(path: Path, keys: Sequence[str]) -> tuple[sqlite3.Connection, str | None]:
    """``path`` opened by SQLCipher: without a key when it is plain."""
    if kind(path) is Kind.PLAIN:
        db: sqlite3.Connection = driver(keys).connect(path, isolation_level=None)
        return db, None
    return opened(path, keys, isolation_level=None)
