"""Keyed digests of record keys: how the log answers "was this ID number ever sent?".

The log never holds a raw key. It holds the key masked (for reading) and an HMAC-SHA256 digest
keyed by ``audit.key`` (for searching): with the key, the gateway can ask whether a given number
was exchanged; without it, the digests cannot be reversed by trying every plausible ID number,
which an unkeyed hash of so small a space would allow.

A composite key (``ID number|verification time``) is also indexed by every resident ID number
and unified social credit code inside it, so tracing a person finds those exchanges too; parts
must be joined by a character that is not a letter or a digit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from gateway.audit.signing import seal_key_id

# Resident ID number (GB 11643) and unified social credit code (GB 32100) shapes; the check
# characters are not verified here: any key of that shape is indexed and normalised the same way.
_ID = r"\d{17}[\dX]"
_USCC = r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}"
_IDENTIFIER = re.compile(rf"(?<![0-9A-Z])(?:{_ID}|{_USCC})(?![0-9A-Z])")
DIGEST_CHARS = 32
_BLOCK = 64  # SHA-256's block size, the HMAC key's padded length


def normalise_key(key: str) -> str:
    """Trim; an ID number or USCC is upper-cased (``x`` and ``X`` are the same check digit)."""
    key = key.strip()
    upper = key.upper()
    return upper if _IDENTIFIER.fullmatch(upper) else key


def embedded_identifiers(key: str) -> set[str]:
    """ID numbers and credit codes that appear inside ``key``, upper-cased."""
    return set(_IDENTIFIER.findall(key.upper()))


class KeyDigester:
    """HMAC digests of record keys, truncated to 128 bits (ample for lookups, half the index)."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the audit key must not be empty")
        # Keyed once; copying the keyed state is cheaper than keying anew for each of the
        # millions of keys a large pull digests.
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        block = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
        self._states = (
            hashlib.sha256(bytes(b ^ 0x36 for b in block)),
            hashlib.sha256(bytes(b ^ 0x5C for b in block)),
        )

    def digest(self, record_key: str) -> str:
        return self._digest_normalised(normalise_key(record_key))

    def _digest_normalised(self, key: str) -> str:
        mac = self._keyed.copy()
        mac.update(key.encode())
        return mac.hexdigest()[:DIGEST_CHARS]

    def digests_for_all(self, record_keys: Iterable[str]) -> set[str]:
        """:meth:`digests_for` of every key, in one loop: a pull digests a page of keys at a
        time. HMAC-SHA256 is computed from its inner and outer states (RFC 2104), copied per
        key, which costs half of copying an ``hmac`` object."""
        inner, outer = self._states
        found: set[str] = set()
        for record_key in record_keys:
            key = normalise_key(record_key)
            parts = [key]
            if not _IDENTIFIER.fullmatch(key):
                parts += embedded_identifiers(record_key)
            for part in parts:
                mac = inner.copy()
                mac.update(part.encode())
                out = outer.copy()
                out.update(mac.digest())
                found.add(out.hexdigest()[:DIGEST_CHARS])
        return found

    def digests_for(self, record_key: str) -> set[str]:
        """The key's own digest plus one for each identifier embedded in it."""
        key = normalise_key(record_key)
        found = {self._digest_normalised(key)}
        if _IDENTIFIER.fullmatch(key):
            return found  # the common case: the key is one ID number or credit code
        found.update(self._digest_normalised(part) for part in embedded_identifiers(record_key))
        return found


class Sealer:
    """Seals entry hashes with a key derived from ``audit.key`` for this one purpose.

    Anyone can recompute the SHA-256 chain; only the holder of the key can seal. Someone who
    can write to the database but does not hold the key can therefore not rewrite the chain
    from an edited entry onwards, nor forge a prune checkpoint, without the seals giving it away.
    """

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the audit key must not be empty")
        self._key = hmac.new(key, b"gateway audit entry seal v1", hashlib.sha256).digest()
        self.key_id = seal_key_id(key)

    def seal(self, entry_hash: str) -> str:
        return hmac.new(self._key, entry_hash.encode(), hashlib.sha256).hexdigest()

    def check(self, entry_hash: str, seal: str | None) -> bool:
        return seal is not None and hmac.compare_digest(self.seal(entry_hash), seal)
