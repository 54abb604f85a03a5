"""Checkpoints sent to syslog (journald listens on ``/dev/log``): kept by another daemon.

One datagram per checkpoint, ``<PRI>gateway-audit-checkpoint: {json}`` (RFC 3164 without the
header fields, which the local daemon adds), sent straight on a socket so a failure is an
error here, never a traceback printed by a logging handler.
"""

from __future__ import annotations

import socket

from gateway.audit.signing import Checkpoint
from gateway.errors import AuditError

TAG = "gateway-audit-checkpoint: "
_FACILITIES = {"user": 1, "daemon": 3, "auth": 4, "authpriv": 10, "local0": 16, "local1": 17}
_INFO = 6


class SyslogWitness:
    readable = False

    def __init__(self, address: str, facility: str) -> None:
        self.name = f"syslog:{address}"
        self._address = address
        self._priority = _FACILITIES[facility] * 8 + _INFO

    def record(self, checkpoint: Checkpoint) -> None:
        line = checkpoint.line().decode().rstrip("\n")
        datagram = f"<{self._priority}>{TAG}{line}".encode()
        try:
            if self._address.startswith("/"):
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                    sock.sendto(datagram, self._address)
            else:
                host, _, port = self._address.rpartition(":")
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.sendto(datagram, (host, int(port)))
        except (OSError, ValueError) as exc:
            raise AuditError("syslog is not reachable", witness=self.name) from exc

    def latest(self) -> Checkpoint | None:
        return None
