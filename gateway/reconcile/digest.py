"""The digests a reconciliation compares: of one platform record, and of a range of keys.

Both sides compute them the same way (decision 0014), the platform over the records it holds,
the gateway over what its store kept of the records it read:

- a record's digest is BLAKE2b-128 (hex) of the record as the platform serves it, serialised as
  compact JSON with its keys sorted and text as UTF-8 (no ``\\u`` escapes of non-ASCII);
- a key's item value is BLAKE2b-128 of ``key``, a NUL byte and the record digest, read as a
  128-bit unsigned integer;
- a range's digest is the sum of its items' values modulo 2**128, as 32 hex digits, with the
  count of keys beside it. A sum is order-free, so a platform may keep it per block and add
  blocks instead of reading the range again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

_MASK = (1 << 128) - 1
EMPTY_DIGEST = "0" * 32


def record_digest(record: Mapping[str, Any]) -> str:
    """The digest of one platform record, as both sides compute it."""
    body = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def item_value(key: str, digest: str) -> int:
    """What one key with its record digest adds to its range's digest."""
    data = key.encode() + b"\x00" + digest.encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), "big")


@dataclass(frozen=True)
class RangeDigest:
    """How many keys a range holds and the digest of them."""

    count: int
    digest: str

    @classmethod
    def of(cls, items: Iterable[tuple[str, str]]) -> RangeDigest:
        """The range digest of ``(key, record digest)`` pairs."""
        acc = RangeAccumulator()
        for key, digest in items:
            acc.add(key, digest)
        return acc.result()


class RangeAccumulator:
    """A range digest built one key at a time (nothing is kept but the sum and the count)."""

    __slots__ = ("_sum", "count")

    def __init__(self) -> None:
        self.count = 0
        self._sum = 0

    def add(self, key: str, digest: str) -> None:
        self.count += 1
        self._sum = (self._sum + item_value(key, digest)) & _MASK

    def result(self) -> RangeDigest:
        return RangeDigest(self.count, f"{self._sum:032x}")
