"""The deployment's local-task settings, as the connectors read them."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.settings import Settings


@dataclass(frozen=True)
class LocalTasks:
    """The deployment's local-task settings (``AUTOMATOR_LOCAL_TASKS``, ``_FILES_ROOT``,
    ``_SHELL_*``), shared by the connectors through ``Services``."""

    allowed: frozenset[str] = frozenset()
    files_root: Path = Path("var/files")
    file_max_bytes: int = 10 * 1024 * 1024
    commands: tuple[str, ...] = ()
    shell_timeout: float = 30.0
    max_output_bytes: int = 65536
    env: tuple[str, ...] = ("PATH", "LANG", "LC_ALL", "TZ")
    server_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "LocalTasks":
        return cls(
            allowed=frozenset(settings.local_tasks),
            files_root=settings.files_root or settings.data_dir / "files",
            file_max_bytes=settings.file_max_bytes,
            commands=tuple(settings.shell_commands),
            shell_timeout=settings.shell_timeout,
            max_output_bytes=settings.shell_max_output_bytes,
            env=tuple(settings.shell_env),
            server_env={
                name: os.environ[name] for name in settings.shell_env if name in os.environ
            },
        )
