"""What mapping one record produces: the record, or every reason it was refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldIssue:
    """One failed rule on one field. ``value`` is already masked for the field's PII class."""

    field: str
    rule: str
    value: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "rule": self.rule, "value": self.value, "detail": self.detail}

    def __str__(self) -> str:
        shown = f" value={self.value}" if self.value is not None else ""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.field}: {self.rule}{shown}{extra}"


@dataclass
class MapResult:
    """The canonical (or platform-shaped) record, or the errors that refused it, plus warnings."""

    record: dict[str, Any] | None
    key: str | None
    errors: list[FieldIssue] = field(default_factory=list)
    warnings: list[FieldIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.errors
