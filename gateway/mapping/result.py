"""What mapping one record produces: the record, or every reason it was refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class FieldIssue:
    """One failed rule on one field. ``value`` is already masked for the field's PII class.

    ``level`` is ``error`` (the record is refused), ``warning`` (worth a look) or ``info`` (a
    fact about the record that is no problem, such as a region code created after the
    holder's birth)."""

    field: str
    rule: str
    value: str | None = None
    detail: str | None = None
    level: str = ERROR

    def as_dict(self) -> dict[str, Any]:
        shown = {"field": self.field, "rule": self.rule, "value": self.value, "detail": self.detail}
        return shown if self.level == ERROR else {**shown, "level": self.level}

    def __str__(self) -> str:
        shown = f" value={self.value}" if self.value is not None else ""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.field}: {self.rule}{shown}{extra}"


@dataclass
class MapResult:
    """The canonical (or platform-shaped) record, or the errors that refused it, plus warnings."""

    record: dict[str, Any] | None
    # Text whatever the key fields' types (a record key is text in the store); ``None``
    # when a key field is missing or refused.
    key: str | None
    errors: list[FieldIssue] = field(default_factory=list)
    warnings: list[FieldIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.errors

    @property
    def problems(self) -> list[FieldIssue]:
        """The warnings worth a look: every warning but the informational ones."""
        return [w for w in self.warnings if w.level != INFO]


@dataclass(frozen=True)
class MappedPage:
    """A page mapped: per record its key and canonical JSON (``None`` for a reject), and the
    row engine's results for the records it mapped (every record with an issue among them)."""

    keys: list[str | None]
    payloads: list[str | None]
    row_results: dict[int, MapResult]
    # The informational warnings of records the columnar engine mapped, where they have any.
    notes: dict[int, list[FieldIssue]] = field(default_factory=dict)

    def result(self, index: int, names: Sequence[str]) -> MapResult:
        """Record ``index`` as a :class:`MapResult` (its record in field order)."""
        found = self.row_results.get(index)
        if found is not None:
            return found
        payload = self.payloads[index]
        assert payload is not None
        record = orjson.loads(payload)
        notes = list(self.notes.get(index, ()))
        return MapResult({name: record[name] for name in names}, self.keys[index], [], notes)
