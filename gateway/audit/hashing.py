"""The canonical form of an entry and its hash: the one definition verification relies on.

An entry's hash is the SHA-256 of the compact JSON object of :data:`HASHED_COLUMNS`, in that
order, UTF-8, no whitespace, non-ASCII characters written as themselves. Integers are JSON
numbers, ``duration_ms`` is a string with three decimals (so a float's text form in a CSV export
cannot change the hash), every other value is a string, and an absent value (or an empty string)
is ``null``. Anyone can recompute it with a standard JSON library; see ``docs/audit.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from gateway.errors import AuditError

FORMAT_VERSION = 1
GENESIS = "0" * 64
HASHED_COLUMNS = (
    "seq", "format_version", "ts", "kind", "run_id", "job", "platform", "direction",
    "operation", "endpoint", "attempt", "http_status", "business_code", "duration_ms",
    "record_count", "record_keys", "key_digests", "request_digest", "response_digest",
    "mapping", "mapping_version", "mapping_digest", "outcome", "detail", "prev_hash",
)  # fmt: skip
# The seal (an HMAC of ``entry_hash``) is stored beside the hash, not covered by it.
ALL_COLUMNS = (*HASHED_COLUMNS, "entry_hash", "seal")
INT_COLUMNS = frozenset(
    {"seq", "format_version", "attempt", "http_status", "record_count", "mapping_version"}
)
KNOWN_FORMATS = frozenset({FORMAT_VERSION})


def canonical_value(name: str, value: Any) -> int | str | None:
    """One column's value as hashed, whether it came from the database, a CSV or JSON."""
    if value is None or value == "":
        return None
    if name in INT_COLUMNS:
        return int(value)
    if name == "duration_ms":
        return f"{float(value):.3f}"
    return str(value)


def canonical_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of an entry, typed as stored (``duration_ms`` stays a number here)."""
    typed: dict[str, Any] = {}
    for name in ALL_COLUMNS:
        value = row.get(name)
        if value is None or value == "":
            typed[name] = None
        elif name in INT_COLUMNS:
            typed[name] = int(value)
        elif name == "duration_ms":
            typed[name] = float(value)
        else:
            typed[name] = str(value)
    return typed


def canonical_bytes(row: Mapping[str, Any]) -> bytes:
    """The exact bytes an entry's hash covers."""
    version = canonical_value("format_version", row.get("format_version"))
    if version not in KNOWN_FORMATS:
        raise AuditError("unknown audit entry format version", format_version=version)
    return orjson.dumps({name: canonical_value(name, row.get(name)) for name in HASHED_COLUMNS})


def entry_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(row)).hexdigest()


def body_digest(body: bytes) -> str | None:
    """SHA-256 of an exchanged body; ``None`` when nothing was sent or received."""
    return hashlib.sha256(body).hexdigest() if body else None
