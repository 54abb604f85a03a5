"""Building blocks for HTTP streams: a client per run, answer checks, per-record outcomes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from gateway.adapter import PushOutcome, PushStatus, StreamContext
from gateway.errors import ConfigError, PermanentError
from gateway.http.breaker import breaker_for
from gateway.http.client import PlatformClient, ResponseClassifier
from gateway.masking import scrub_text


def open_client(ctx: StreamContext, classifier: ResponseClassifier | None = None) -> PlatformClient:
    """A signed client for the context's platform, its secret read from its reference, its
    breaker kept where the run's runner keeps breakers (see :func:`breaker_for`)."""
    secret_ref = ctx.platform.app_secret
    if secret_ref is None:
        raise ConfigError("platform has no app_secret reference", platform=ctx.platform_name)
    secret = secret_ref.resolve(Path(ctx.base_dir))
    return PlatformClient(
        ctx.platform_name,
        ctx.platform,
        ctx.exchanges,
        secret=secret,
        classifier=classifier,
        breaker=breaker_for(ctx.platform_name, ctx.platform.breaker, ctx.run_id),
    )


class RunClients:
    """One client per run for push streams, whose ``send`` is called once per batch."""

    def __init__(self, classifier: ResponseClassifier | None = None) -> None:
        self._classifier = classifier
        self._clients: dict[str, PlatformClient] = {}
        self._lock = threading.Lock()

    def get(self, ctx: StreamContext) -> PlatformClient:
        with self._lock:
            client = self._clients.get(ctx.run_id)
            if client is None:
                client = self._clients[ctx.run_id] = open_client(ctx, self._classifier)
            return client

    def close(self, ctx: StreamContext) -> None:
        with self._lock:
            client = self._clients.pop(ctx.run_id, None)
        if client is not None:
            client.close()


def require_list(data: Any, field: str, where: str) -> list[Any]:
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, list):
        raise PermanentError("platform answer lacks a list", field=field, operation=where)
    return value


def push_outcome(item: Any) -> PushOutcome | None:
    """One record's answer in the shared dialect: ``{"idempotencyKey", "status": "accepted",
    "receiptNo"}`` or ``{"idempotencyKey", "status": "rejected", "code", "reason"}``."""
    if not isinstance(item, dict) or not item.get("idempotencyKey"):
        return None
    key = str(item["idempotencyKey"])
    status = item.get("status")
    if status == "accepted":
        return PushOutcome(key, PushStatus.ACCEPTED, receipt=str(item.get("receiptNo") or ""))
    if status == "rejected":
        return PushOutcome(
            key,
            PushStatus.REJECTED,
            code=str(item.get("code") or "REJECTED"),
            reason=scrub_text(str(item.get("reason") or "rejected by the platform")),
        )
    return PushOutcome(key, PushStatus.UNKNOWN)
