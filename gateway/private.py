"""Files the gateway creates are its own: 0600 files in 0700 folders, whatever the umask.

The store, its WAL and reserve, logs, exports, payload files, reason files, moved inbox files
and key files all hold personal data or secrets. ``keep_private`` narrows the process umask
once, at the start of every command, so every file and folder created afterwards (by SQLite,
the logging handler, the audit exporter) is private; ``make_private`` covers a file that came
from elsewhere (an inbox file moved into ``processed/``), ``write_private`` one written whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def keep_private() -> None:
    """Every file and folder this process creates from now on: owner only."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) created 0700; an existing folder is left as it is."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def make_private(path: Path) -> None:
    """Narrow an existing file to 0600 (a file the gateway took over from someone else)."""
    os.chmod(path, FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, created (or truncated) 0600 before a byte is written."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(handle, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def exposed(path: Path) -> str | None:
    """``"group"`` or ``"world"`` when others may read ``path``; ``None`` when private or absent."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & stat.S_IROTH:
        return "world"
    if mode & stat.S_IRGRP:
        return "group"
    return None
