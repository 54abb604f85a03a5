"""Checkpoints POSTed to an HTTP endpoint another party runs (a transparency service)."""

from __future__ import annotations

import httpx

from gateway.audit.signing import Checkpoint
from gateway.errors import AuditError


class HttpWitness:
    readable = False

    def __init__(self, url: str, token: str | None, timeout: float) -> None:
        self.name = f"http:{url}"
        self._url = url
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout

    def record(self, checkpoint: Checkpoint) -> None:
        try:
            answer = httpx.post(
                self._url, content=checkpoint.line(), headers=self._headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise AuditError("the witness endpoint is not reachable", witness=self.name) from exc
        if answer.status_code >= 300:
            raise AuditError(
                "the witness endpoint refused the checkpoint",
                witness=self.name,
                status=answer.status_code,
            )

    def latest(self) -> Checkpoint | None:
        return None
