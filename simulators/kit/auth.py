"""Verification of signed requests, the platform side of :mod:`gateway.http.signing`.

The checks run in the order a platform's gateway runs them: known app key and a well-formed,
correct signature first (so an unsigned request cannot fill the nonce memory), then the
timestamp window, then the nonce. Each failure is a 401 with its envelope code; none echoes
header values. A header of the wrong shape (not hex, the wrong length, not ASCII) is a bad
signature like any other, never a server error.

Nonces live in memory, so a restart forgets them; instead, a request signed before the
verifier started is refused as stale: a replay captured before a restart cannot pass within
the window after it. A client whose clock runs behind is refused for that long after a start.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from gateway.http.signing import (
    HEADER_APP_KEY,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SignatureAlgorithm,
    signature_matches,
)
from simulators.kit.envelope import Code

DEFAULT_WINDOW_SECONDS = 300.0
DEFAULT_NONCE_CAPACITY = 200_000


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, as the platform would answer it."""

    status: int
    code: Code
    msg: str
    headers: tuple[tuple[str, str], ...] = ()


class NonceMemory:
    """Nonces seen within the time window, oldest first, never more than ``capacity``.

    When full, the oldest nonce is forgotten first: a replay of it could then pass, which a
    platform accepts as the price of bounded memory (the timestamp window still applies).
    """

    def __init__(self, window_seconds: float, capacity: int) -> None:
        self._window = window_seconds
        self._capacity = capacity
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def remember(self, nonce: str, now: float) -> bool:
        """Remember ``nonce``; ``False`` if it was already seen within the window."""
        with self._lock:
            self._forget_expired(now)
            if nonce in self._expiry:
                return False
            if len(self._expiry) >= self._capacity:
                self._expiry.popitem(last=False)
            self._expiry[nonce] = now + self._window
            return True

    def _forget_expired(self, now: float) -> None:
        expiry = self._expiry
        while expiry:
            oldest = next(iter(expiry.values()))
            if oldest > now:
                return
            expiry.popitem(last=False)


class SignatureVerifier:
    """Checks the four signing headers against the known app keys and their secrets."""

    def __init__(
        self,
        credentials: Mapping[str, bytes],
        algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256,
        *,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        nonce_capacity: int = DEFAULT_NONCE_CAPACITY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.algorithm = algorithm
        self.window_seconds = window_seconds
        self._credentials = dict(credentials)
        self._clock = clock
        self._nonces = NonceMemory(window_seconds, nonce_capacity)
        self.started = clock()

    def check(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Refusal | None:
        """``None`` when the request is authentic and fresh, else the refusal to answer."""
        app_key = headers.get(HEADER_APP_KEY.lower(), "")
        timestamp = headers.get(HEADER_TIMESTAMP.lower(), "")
        nonce = headers.get(HEADER_NONCE.lower(), "")
        signature = headers.get(HEADER_SIGNATURE.lower(), "")
        secret = self._credentials.get(app_key)
        if secret is None or not (timestamp and nonce and signature):
            return _refuse(Code.AUTH_FAILED, "unknown app key or missing signature headers")
        if not _is_hex(signature, SIGNATURE_LENGTH):
            return _refuse(Code.AUTH_FAILED, f"X-Signature must be {SIGNATURE_LENGTH} hex digits")
        if not (timestamp.isascii() and timestamp.isdigit()):
            return _refuse(Code.AUTH_FAILED, "X-Timestamp must be Unix milliseconds")
        if not signature_matches(
            self.algorithm, secret, signature, method, path, query, timestamp, nonce, body
        ):
            return _refuse(Code.AUTH_FAILED, "signature does not match")
        now = self._clock()
        signed_at = int(timestamp) / 1000
        if abs(now - signed_at) > self.window_seconds:
            return _refuse(Code.STALE_TIMESTAMP, "timestamp outside the accepted window")
        if signed_at < self.started:
            return _refuse(Code.STALE_TIMESTAMP, "timestamp before the platform started")
        if not self._nonces.remember(f"{app_key}\n{nonce}", now):
            return _refuse(Code.NONCE_REUSED, "nonce already used")
        return None


# Both HMAC-SHA256 and HMAC-SM3 give 32 bytes: 64 hex digits.
SIGNATURE_LENGTH = 64
_HEX = frozenset("0123456789abcdefABCDEF")


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and _HEX.issuperset(text)


def _refuse(code: Code, msg: str) -> Refusal:
    return Refusal(401, code, msg)
