"""The simulated platform's verification intake: validation, then the answers of
:mod:`simulators.labor_force.intake` (per item, per idempotency key)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from simulators.labor_force.intake import E_INVALID_FIELD, AnswerBook, Kept
from simulators.labor_force.population_tables import EMPLOYMENT

VERIFICATION_STATUSES = ("0", "1", "2")
EMPLOYMENT_STATUSES = tuple(code for code, _ in EMPLOYMENT)
E_UNKNOWN_PERSON = "E_UNKNOWN_PERSON"
APPLIED_FIELDS = ("HCZT", "AAC008", "AAE006")
_TIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ITEM_FIELDS = ("idempotencyKey", "AAC002", "HCZT", "AAC008", "AAE006", "HCSJ", "HCR")


def _is_time(value: Any) -> bool:
    """``YYYY-MM-DD HH:MM:SS`` naming a real moment (fromisoformat: strptime is 30x slower)."""
    if not isinstance(value, str) or not _TIME_TEXT.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


_FIELD_RULES: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("AAC002", lambda v: isinstance(v, str) and len(v) == 18, "must be an 18-character ID number"),
    ("HCZT", lambda v: v in VERIFICATION_STATUSES, "must be one of 0, 1, 2"),
    ("AAC008", lambda v: v in EMPLOYMENT_STATUSES, "must be one of 1, 2, 3, 4, 5, 9"),
    ("AAE006", lambda v: isinstance(v, str) and len(v) <= 200, "must be text, at most 200 long"),
    ("HCSJ", _is_time, "must be a time YYYY-MM-DD HH:MM:SS"),
    ("HCR", lambda v: isinstance(v, str) and 0 < len(v) <= 50, "must be text, 1 to 50 long"),
)


class VerificationLedger:
    """Answers per idempotency key; ``resolve`` maps an ID number to a person's index.

    Answers and accepted items are kept as tuples: a benchmark may push millions of them.
    """

    def __init__(self, resolve: Callable[[str], int | None]) -> None:
        self._resolve = resolve
        self._book = AnswerBook()
        self._accepted: list[tuple[Any, ...]] = []  # ITEM_FIELDS values, then the receipt

    @property
    def duplicates(self) -> int:
        return self._book.duplicates

    @property
    def rejected(self) -> int:
        return self._book.rejected

    @property
    def received(self) -> int:
        """Distinct accepted verifications."""
        return len(self._accepted)

    def accepted(self) -> list[dict[str, Any]]:
        """The accepted items as received, each with its receipt number."""
        with self._book.lock:
            return [
                dict(zip((*ITEM_FIELDS, "receiptNo"), row, strict=True)) for row in self._accepted
            ]

    def submit(
        self, items: Iterable[Any]
    ) -> tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]]]:
        """One answer per item, and the (index, fields) changes the accepted ones make."""
        changes: list[tuple[int, dict[str, Any]]] = []

        def take(item: dict[str, Any]) -> Kept:
            kept, index = self._judge(item)
            if index is not None:
                self._accepted.append((*(item[name] for name in ITEM_FIELDS), kept[1]))
                changes.append((index, {name: item[name] for name in APPLIED_FIELDS}))
            return kept

        return self._book.submit(items, take), changes

    def forget(self, count: int, seed: int) -> list[str]:
        """Lose ``count`` accepted verifications, as a platform restored from an old backup
        would; answers their idempotency keys (sent again, each is accepted anew)."""
        with self._book.lock:
            answers = self._book.answers
            accepted = sorted(k for k, (code, _) in answers.items() if not code)
            lost = set(random.Random(seed).sample(accepted, min(count, len(accepted))))
            for key in lost:
                del answers[key]
            self._accepted = [row for row in self._accepted if row[0] not in lost]
            return sorted(lost)

    def receipts(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        return self._book.receipts(keys)

    def _judge(self, item: dict[str, Any]) -> tuple[tuple[str, str], int | None]:
        """What to keep of the answer, and the person's index if accepted."""
        for name, rule, message in _FIELD_RULES:
            if not rule(item.get(name)):
                return (E_INVALID_FIELD, f"{name}: {message}"), None
        index = self._resolve(item["AAC002"])
        if index is None:
            return (E_UNKNOWN_PERSON, "AAC002: no such person on the platform"), None
        return ("", f"HC{len(self._accepted) + 1:012d}"), index
