"""What the simulated platform's push intakes share: answers kept per idempotency key.

Each item is answered on its own: accepted with a receipt number, or rejected with a code and a
reason that names the field but never echoes its value. An idempotency key seen before is
answered with its first answer again and counted as a duplicate, never applied twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from fastapi import Request

from simulators.kit import Code, JSONBytes, fail

E_INVALID_FIELD = "E_INVALID_FIELD"
MAX_ITEMS = 500
# What is kept of an answer: ("", receipt) when accepted, (code, reason) when rejected.
Kept = tuple[str, str]


def rejected(key: Any, code: str, reason: str) -> dict[str, Any]:
    return {"idempotencyKey": key, "status": "rejected", "code": code, "reason": reason}


def answer(key: str, kept: Kept) -> dict[str, Any]:
    code, detail = kept
    if not code:
        return {"idempotencyKey": key, "status": "accepted", "receiptNo": detail}
    return rejected(key, code, detail)


class AnswerBook:
    """The answers given, by idempotency key. ``submit`` asks ``take`` (under the book's lock)
    what to answer an item never seen; ``take`` applies what it accepts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: dict[str, Kept] = {}
        self.duplicates = 0
        self.rejected = 0

    def submit(
        self, items: Iterable[Any], take: Callable[[dict[str, Any]], Kept]
    ) -> list[dict[str, Any]]:
        given: list[dict[str, Any]] = []
        with self.lock:
            for item in items:
                key = item.get("idempotencyKey") if isinstance(item, dict) else None
                if not isinstance(key, str) or not key:
                    reason = "idempotencyKey: required, non-empty text"
                    given.append(rejected(None, E_INVALID_FIELD, reason))
                    continue
                known = self.answers.get(key)
                if known is not None:
                    self.duplicates += 1
                    given.append(answer(key, known))
                    continue
                kept = take(item)
                self.rejected += bool(kept[0])
                self.answers[key] = kept
                given.append(answer(key, kept))
        return given

    def receipts(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The answers already given for ``keys``; unknown keys are left out."""
        with self.lock:
            return [answer(key, self.answers[key]) for key in keys if key in self.answers]


async def batch_items(request: Request) -> list[Any] | JSONBytes:
    """A push request's items, or the 400 answer that refuses the whole request."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return fail(Code.INVALID_PARAM, "body is not JSON", status=400)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
        return fail(Code.INVALID_PARAM, f"items: a list of 1 to {MAX_ITEMS}", status=400)
    return items


def receipt_keys(keys: str) -> list[str] | JSONBytes:
    """The keys a receipts lookup asks for, or the 400 answer to too many."""
    wanted = [key for key in keys.split(",") if key]
    if len(wanted) > MAX_ITEMS:
        return fail(Code.INVALID_PARAM, f"keys: at most {MAX_ITEMS}", status=400)
    return wanted
