"""Checkpoints sent to syslog (journald listens on ``/dev/log``): kept by another daemon."""

from __future__ import annotations

import logging
import logging.handlers
import socket

from gateway.audit.signing import Checkpoint
from gateway.errors import AuditError

TAG = "gateway-audit-checkpoint: "


def _address(value: str) -> str | tuple[str, int]:
    """``/dev/log`` (a socket path) or ``host:port`` (UDP)."""
    if value.startswith("/"):
        return value
    host, _, port = value.rpartition(":")
    return (host, int(port))


class SyslogWitness:
    readable = False

    def __init__(self, address: str, facility: str) -> None:
        self.name = f"syslog:{address}"
        self._address = _address(address)
        self._facility = logging.handlers.SysLogHandler.facility_names[facility]

    def record(self, checkpoint: Checkpoint) -> None:
        line = checkpoint.line().decode().rstrip("\n")
        record = logging.LogRecord("gateway.audit", logging.INFO, "", 0, TAG + line, None, None)
        try:
            handler = logging.handlers.SysLogHandler(
                address=self._address, facility=self._facility, socktype=socket.SOCK_DGRAM
            )
        except OSError as exc:
            raise AuditError("syslog is not reachable", address=self.name) from exc
        try:
            handler.emit(record)
        finally:
            handler.close()

    def latest(self) -> Checkpoint | None:
        return None
