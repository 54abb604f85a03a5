"""An append-only file of checkpoints, one JSON object a line, on another path than the store.

Opened ``O_APPEND`` for every write, so the gateway never rewrites what is there; on Linux, make
the file append-only for root too (``chattr +a``) so the store's owner cannot either.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from gateway.audit.signing import Checkpoint
from gateway.errors import AuditError


@dataclass(frozen=True)
class WitnessLine:
    number: int
    checkpoint: Checkpoint | None
    error: str | None = None


def read_lines(path: Path) -> Iterator[WitnessLine]:
    """Every line of a witness file, parsed; a line that is not a checkpoint says why."""
    try:
        source = path.open("rb")
    except FileNotFoundError:
        raise AuditError("the witness file does not exist", path=str(path)) from None
    except OSError as exc:
        raise AuditError("the witness file cannot be read", path=str(path)) from exc
    with source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                yield WitnessLine(number, Checkpoint.from_dict(orjson.loads(line)))
            except orjson.JSONDecodeError:
                yield WitnessLine(number, None, "not JSON")
            except AuditError as exc:
                yield WitnessLine(number, None, str(exc))


class FileWitness:
    readable = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"file:{path}"

    def record(self, checkpoint: Checkpoint) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, checkpoint.line())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise AuditError(
                "the witness file cannot be appended to", path=str(self.path), cause=exc.strerror
            ) from exc

    def latest(self) -> Checkpoint | None:
        if not self.path.exists():
            return None
        found = None
        for line in read_lines(self.path):
            if line.checkpoint is None:
                raise AuditError(
                    f"witness line {line.number} is not a checkpoint ({line.error})",
                    path=str(self.path),
                )
            found = line.checkpoint
        return found
