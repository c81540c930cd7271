"""``file``: read, write, append, copy, delete and list files in the tenant's folder of the
deployment's one root (``AUTOMATOR_FILES_ROOT/<tenant id>``).

No path leaves it: a path is relative, without ``..``, and is opened one component at a time
from the folder's descriptor with ``O_NOFOLLOW`` (``openat``), so neither a symlink inside the
folder nor one swapped in meanwhile leads out. Symlinks are never followed, not even ones
pointing inside. Sizes are bounded by ``AUTOMATOR_FILE_MAX_BYTES``.
"""

import asyncio
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.actions.local.policy import settings_for
from app.errors import shown

OPERATIONS = ("read", "write", "append", "copy", "delete", "list")
MAX_PATH_CHARS = 1024
MAX_LISTED = 1000
DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
FOLDER_MODE = 0o700
FILE_MODE = 0o600

_PATH = {"type": "string", "minLength": 1, "maxLength": MAX_PATH_CHARS}
INPUTS = {
    "type": "object",
    "properties": {
        "operation": {"enum": list(OPERATIONS)},
        "path": _PATH | {"description": "Relative to the tenant's folder: `reports/day.csv`."},
        "content": {"type": "string", "description": "write, append: the text to write."},
        "to": _PATH | {"description": "copy: where the copy goes."},
        "encoding": {"type": "string", "maxLength": 32, "description": "Default utf-8."},
    },
    "required": ["operation"],
    "additionalProperties": False,
}
OUTPUTS = {
    "type": "object",
    "properties": {
        "path": {"type": "string"},
        "content": {"type": "string", "description": "read: the file's text."},
        "bytes": {"type": "integer", "description": "The file's size after the operation."},
        "deleted": {"type": "boolean"},
        "entries": {"type": "array", "description": "list: name, type (file, dir), bytes."},
    },
}


class PathRefused(ConnectorError):
    """A path that would leave the tenant's folder, or is not a plain one."""


def parts_of(path: str) -> list[str]:
    """The components of a relative path inside the folder; PathRefused otherwise."""
    if "\x00" in path or path.startswith(("/", "\\")) or PurePosixPath(path).is_absolute():
        raise PathRefused(f"data.path {shown(path)}: a path is relative to the tenant's folder")
    parts = [part for part in PurePosixPath(path).parts if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise PathRefused(f"data.path {shown(path)}: '..' would leave the tenant's folder")
    return parts


class Folder:
    """The tenant's folder, opened by descriptor; every path walks down from it."""

    def __init__(self, root: Path, tenant_id: str, max_bytes: int) -> None:
        self.root = root / tenant_id
        self.max_bytes = max_bytes

    @contextmanager
    def _opened(self) -> Iterator[int]:
        self.root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        fd = os.open(self.root, DIRECTORY)
        try:
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def parent(self, path: str, *, create: bool = False) -> Iterator[tuple[int, str]]:
        """The descriptor of the folder holding ``path``'s last component, and that name."""
        parts = parts_of(path)
        if not parts:
            raise PathRefused(f"data.path {shown(path)}: names no file")
        with self._walked(parts[:-1], path, create=create) as fd:
            yield fd, parts[-1]

    @contextmanager
    def directory(self, path: str) -> Iterator[int]:
        with self._walked(parts_of(path), path, create=False) as fd:
            yield fd

    @contextmanager
    def _walked(self, names: list[str], path: str, *, create: bool) -> Iterator[int]:
        with self._opened() as root:
            fd = os.dup(root)
            try:
                for name in names:
                    child = _down(fd, name, path, create=create)
                    os.close(fd)
                    fd = child
                yield fd
            finally:
                os.close(fd)


def _down(fd: int, name: str, path: str, *, create: bool) -> int:
    """The folder ``name`` inside ``fd``, opened (made first if ``create``), never through
    a symlink."""
    try:
        if create:
            with suppress(FileExistsError):
                os.mkdir(name, FOLDER_MODE, dir_fd=fd)
        return os.open(name, DIRECTORY, dir_fd=fd)
    except OSError as exc:
        raise _refusal(exc, path) from None


def _refusal(exc: OSError, path: str) -> ConnectorError:
    if isinstance(exc, FileNotFoundError):
        return ConnectorError(f"data.path {shown(path)}: no such file or folder")
    if exc.errno in (40, 20):  # ELOOP: a symlink; ENOTDIR: a symlink or file in the way
        return PathRefused(
            f"data.path {shown(path)}: goes through a symlink or a file, not followed"
        )
    return ConnectorError(f"data.path {shown(path)}: {exc.strerror}")


def _read(folder: Folder, path: str, encoding: str) -> dict[str, Any]:
    with folder.parent(path) as (fd, name):
        data = _read_bytes(fd, name, path, folder.max_bytes)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ConnectorError(f"data.path {shown(path)} is not {encoding} text: {exc}") from None
    return {"path": path, "content": text, "bytes": len(data)}


def _read_bytes(fd: int, name: str, path: str, limit: int) -> bytes:
    try:
        file = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        raise _refusal(exc, path) from None
    with os.fdopen(file, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConnectorError(f"data.path {shown(path)} is not a file")
        if info.st_size > limit:
            raise ConnectorError(_too_big(path, info.st_size, limit))
        return handle.read(limit + 1)


def _too_big(path: str, size: int, limit: int) -> str:
    return f"data.path {shown(path)}: {size} bytes is over the limit of {limit} (AUTOMATOR_FILE_MAX_BYTES)"


def _write(folder: Folder, path: str, data: bytes, *, append: bool) -> dict[str, Any]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if append else os.O_TRUNC)
    with folder.parent(path, create=True) as (fd, name):
        try:
            file = os.open(name, flags, FILE_MODE, dir_fd=fd)
        except OSError as exc:
            raise _refusal(exc, path) from None
        with os.fdopen(file, "ab" if append else "wb") as handle:
            before = os.fstat(handle.fileno()).st_size if append else 0
            if before + len(data) > folder.max_bytes:
                raise ConnectorError(_too_big(path, before + len(data), folder.max_bytes))
            handle.write(data)
            return {"path": path, "bytes": before + len(data)}


def _copy(folder: Folder, path: str, to: str) -> dict[str, Any]:
    with folder.parent(path) as (fd, name):
        data = _read_bytes(fd, name, path, folder.max_bytes)
    written = _write(folder, to, data, append=False)
    return {"path": path, "to": to, "bytes": written["bytes"]}


def _delete(folder: Folder, path: str) -> dict[str, Any]:
    with folder.parent(path) as (fd, name):
        try:
            os.unlink(name, dir_fd=fd)  # a symlink is removed itself, never its target
        except FileNotFoundError:
            return {"path": path, "deleted": False}
        except OSError as exc:
            raise _refusal(exc, path) from None
    return {"path": path, "deleted": True}


def _list(folder: Folder, path: str) -> dict[str, Any]:
    with folder.directory(path) as fd, os.scandir(fd) as found:
        entries = []
        for entry in sorted(found, key=lambda e: e.name)[:MAX_LISTED]:
            info = entry.stat(follow_symlinks=False)
            kind = (
                "dir"
                if stat.S_ISDIR(info.st_mode)
                else "file"
                if stat.S_ISREG(info.st_mode)
                else "other"
            )
            entries.append({"name": entry.name, "type": kind, "bytes": info.st_size})
    return {"path": path, "entries": entries}


class FileTask(ConnectorAdapter):
    code: ClassVar[str] = "file"
    name: ClassVar[str] = "Files on the server"
    description: ClassVar[str] = (
        "Read, write, append, copy, delete and list files in the tenant's folder of "
        "AUTOMATOR_FILES_ROOT. Off unless AUTOMATOR_LOCAL_TASKS lists `file` and the tenant "
        'opts in (PUT /api/integrations/file {"config": {"enabled": true}}).'
    )
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "file": ActionSpec(inputs=INPUTS, outputs=OUTPUTS, description="A file operation."),
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        local = settings_for(self.code, context)
        folder = Folder(local.files_root, context.tenant_id, local.file_max_bytes)
        return await asyncio.to_thread(_operation(params), folder)


Operation = Callable[[Folder], dict[str, Any]]


def _operation(params: dict[str, Any]) -> Operation:
    """The operation ``params`` ask for, checked before any file is touched."""
    operation = params.get("operation")
    build = BUILDERS.get(str(operation))
    if build is None:
        raise ConnectorError(f"data.operation must be one of {', '.join(OPERATIONS)}")
    path = str(params.get("path", ""))
    if operation != "list" and not path:
        raise ConnectorError(f"data.path is required to {operation}")
    return build(params, path)


def _encoding(params: dict[str, Any]) -> str:
    return str(params.get("encoding") or "utf-8")


def _writing(params: dict[str, Any], path: str) -> Operation:
    operation, content, encoding = params["operation"], params.get("content"), _encoding(params)
    if not isinstance(content, str):
        raise ConnectorError(f"data.content (text) is required to {operation}")
    try:
        data = content.encode(encoding)
    except (UnicodeEncodeError, LookupError) as exc:
        raise ConnectorError(f"data.content cannot be written as {encoding}: {exc}") from None
    return lambda folder: _write(folder, path, data, append=operation == "append")


def _copying(params: dict[str, Any], path: str) -> Operation:
    to = params.get("to")
    if not isinstance(to, str) or not to:
        raise ConnectorError("data.to is required to copy")
    return lambda folder: _copy(folder, path, to)


BUILDERS: dict[str, Callable[[dict[str, Any], str], Operation]] = {
    "read": lambda params, path: lambda folder: _read(folder, path, _encoding(params)),
    "write": _writing,
    "append": _writing,
    "copy": _copying,
    "delete": lambda params, path: lambda folder: _delete(folder, path),
    "list": lambda params, path: lambda folder: _list(folder, path),
}
