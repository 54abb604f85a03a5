"""Request signing in the dialect the provincial platforms share.

``X-Signature`` is the hex HMAC, keyed by the application secret, over six lines::

    METHOD
    /path
    sorted query (k=v joined by &, keys and values percent-encoded)
    X-Timestamp (Unix milliseconds)
    X-Nonce
    hex SHA-256 of the body (of the empty string for no body)

HMAC-SHA256 is the default; the service network signs with HMAC-SM3 (GB/T 32905).
The same functions sign on the client side and verify on the simulator side.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

HEADER_APP_KEY = "X-App-Key"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"


class SignatureAlgorithm(StrEnum):
    HMAC_SHA256 = "hmac-sha256"
    HMAC_SM3 = "hmac-sm3"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params))


def string_to_sign(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    timestamp: str,
    nonce: str,
    body: bytes,
) -> bytes:
    lines = (method.upper(), path, canonical_query(query), timestamp, nonce, body_digest(body))
    return "\n".join(lines).encode()


def hmac_hex(algorithm: SignatureAlgorithm, secret: bytes, message: bytes) -> str:
    if algorithm is SignatureAlgorithm.HMAC_SHA256:
        return hmac.new(secret, message, hashlib.sha256).hexdigest()
    mac = crypto_hmac.HMAC(secret, hashes.SM3())
    mac.update(message)
    return mac.finalize().hex()


def sign_headers(
    algorithm: SignatureAlgorithm,
    app_key: str,
    secret: bytes,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    body: bytes,
) -> dict[str, str]:
    """The four headers that authenticate one request."""
    timestamp = str(int(time.time() * 1000))
    nonce = secrets.token_hex(16)
    signature = hmac_hex(
        algorithm, secret, string_to_sign(method, path, query, timestamp, nonce, body)
    )
    return {
        HEADER_APP_KEY: app_key,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature,
    }


def signature_matches(
    algorithm: SignatureAlgorithm,
    secret: bytes,
    signature: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    timestamp: str,
    nonce: str,
    body: bytes,
) -> bool:
    expected = hmac_hex(
        algorithm, secret, string_to_sign(method, path, query, timestamp, nonce, body)
    )
    if not signature.isascii():  # compare_digest refuses non-ASCII text with a TypeError
        return False
    return hmac.compare_digest(expected, signature.lower())
