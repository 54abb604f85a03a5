"""What the runtime hands to the exchange log before it is masked, digested and chained."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.adapter import Exchange
from gateway.masking import scrub_text

FORMAT_VERSION = 1


@dataclass(frozen=True)
class MappingRef:
    name: str
    version: int
    digest: str


@dataclass
class AuditEvent:
    """One entry-to-be. ``record_keys`` are raw: the log masks and digests them, never stores them."""

    kind: str
    outcome: str
    run_id: str | None = None
    job: str | None = None
    platform: str | None = None
    direction: str | None = None
    operation: str | None = None
    endpoint: str | None = None
    attempt: int | None = None
    http_status: int | None = None
    business_code: str | None = None
    duration_ms: float | None = None
    record_keys: list[str] = field(default_factory=list)
    key_masker: Callable[[str], str] = scrub_text
    request_body: bytes = b""
    response_body: bytes = b""
    mapping: MappingRef | None = None
    detail: str | None = None

    @classmethod
    def from_exchange(
        cls,
        exchange: Exchange,
        *,
        run_id: str,
        job: str,
        mapping: MappingRef | None,
        key_masker: Callable[[str], str] = scrub_text,
    ) -> AuditEvent:
        return cls(
            kind="exchange",
            outcome=exchange.outcome,
            run_id=run_id,
            job=job,
            platform=exchange.platform,
            direction=exchange.direction.value,
            operation=exchange.operation,
            endpoint=exchange.endpoint,
            attempt=exchange.attempt,
            http_status=exchange.http_status,
            business_code=exchange.business_code,
            duration_ms=round(exchange.duration_ms, 3),
            record_keys=list(exchange.record_keys),
            key_masker=key_masker,
            request_body=exchange.request_body,
            response_body=exchange.response_body,
            mapping=mapping,
            detail=exchange.error,
        )
