"""The one error of the files adapter's own: an inbox file that cannot be read."""

from __future__ import annotations

from typing import Any

from gateway.errors import GatewayError


class FileReadError(GatewayError):
    """The file cannot be read (undecodable, not the format it claims, no header).

    It fails the file, not the run: the file moves to ``failed/`` and the others go on. The
    message is a short reason without any cell value.
    """

    def __init__(self, message: str, *, row: int | None = None, **context: Any) -> None:
        super().__init__(message, row=row, **context)
        self.row = row
