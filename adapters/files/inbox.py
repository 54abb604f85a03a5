"""The inbox directory: which files wait, what their content digest is, where they go after.

Finished files move to ``processed/``, unreadable ones to ``failed/``, both inside the inbox, so
an operator sees at a glance what was taken and what needs a look. Hidden files (``.name``) are
never taken: writers that follow the usual convention write under a hidden temporary name and
rename when done, so a half-written file is never read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import ConfigError, PermanentError
from gateway.private import make_private, private_dir, write_private

PROCESSED = "processed"
FAILED = "failed"


@dataclass(frozen=True)
class InboxFile:
    path: Path
    name: str  # relative to the inbox, as refs and the audit log show it
    digest: str  # sha256 hex of the content


def content_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def waiting_paths(inbox: Path, pattern: str, markers: tuple[str, ...]) -> list[Path]:
    """Files matching ``pattern``, by name, outside ``processed/`` and ``failed/``.

    Never hidden files, Excel's lock files (``~$name.xlsx``) or readiness markers.
    """
    found: list[Path] = []
    for path in sorted(inbox.glob(pattern)):
        relative = path.relative_to(inbox)
        if relative.parts[0] in (PROCESSED, FAILED):
            continue
        if any(part.startswith((".", "~$")) for part in relative.parts) or not path.is_file():
            continue
        if path.name.endswith(markers):
            continue
        found.append(path)
    return found


def inbox_file(inbox: Path, path: Path) -> InboxFile:
    return InboxFile(path, path.relative_to(inbox).as_posix(), content_digest(path))


def move_file(inbox: Path, file: InboxFile, folder: str) -> None:
    """Move ``file`` into ``folder`` of the inbox without overwriting an earlier, different file.

    A file already gone (moved by an earlier attempt or by an operator) is not an error.
    """
    target_dir = inbox / folder
    target = target_dir / file.path.name
    if target.exists() and content_digest(target) != file.digest:
        target = target_dir / f"{file.path.stem}.{file.digest[:12]}{file.path.suffix}"
    try:
        private_dir(target_dir)
        os.replace(file.path, target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PermanentError(
            "cannot move an inbox file", file=file.name, folder=folder, reason=exc.strerror
        ) from exc
    # A file another account owns keeps its mode; the 0700 folder guards it.
    with contextlib.suppress(PermissionError):
        make_private(target)


REASON_SUFFIX = ".reason.txt"


def fail_file(inbox: Path, file: InboxFile, reason: str) -> None:
    """Move ``file`` to ``failed/`` with ``NAME.reason.txt`` beside it (no cell values in it)."""
    move_file(inbox, file, FAILED)
    note = inbox / FAILED / f"{file.path.name}{REASON_SUFFIX}"
    text = (
        f"file: {file.name}\nsha256: {file.digest}\nreason: {reason}\n"
        "see: gateway dlq list --rule unreadable\n"
    )
    try:
        write_private(note, text.encode("utf-8"))
    except OSError as exc:
        raise PermanentError(
            "cannot write a reason file", file=file.name, reason=exc.strerror
        ) from exc


def readmit_file(inbox: Path, name: str, marker: str | None = None) -> InboxFile:
    """Move ``name`` back from ``failed/`` or ``processed/`` (or find it still waiting), its
    reason file removed and, for a job that waits for markers, its ``marker`` written: the next
    run of the job sees it like a file just dropped."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ConfigError("not a file name of the inbox", file=name)
    candidates = [inbox / folder / name for folder in (FAILED, PROCESSED)] + [inbox / name]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        raise ConfigError("no such file in the inbox, processed/ or failed/", file=name)
    target = inbox / name
    try:
        if found != target:
            os.replace(found, target)
        found.with_name(name + REASON_SUFFIX).unlink(missing_ok=True)
        if marker is not None:
            target.with_name(name + marker).touch()
    except OSError as exc:
        raise PermanentError("cannot move an inbox file", file=name, reason=exc.strerror) from exc
    return inbox_file(inbox, target)
