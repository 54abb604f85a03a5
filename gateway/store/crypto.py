"""Personal data at rest: SM4 under a data key, each value tagged with the key that sealed it.

A sealed value is text, so it fits the column that held the clear value:
``sm4:1:<key id>:<scheme>:<base64 of nonce or IV, ciphertext, tag>``. The key id is the first
16 hex digits of the key's SM3 digest: the store names which key it needs without holding it.
The scheme is ``g`` (SM4-GCM, 12-byte nonce, 16-byte tag) where the installed OpenSSL offers
it, else ``c`` (SM4-CBC with PKCS7 padding, then HMAC-SM3 over IV and ciphertext with a key
derived from the data key); either is read back wherever the scheme is available
(docs/decisions/0010-sm4-at-rest.md).
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import Connection

from gateway.errors import ConfigError, StoreError

PREFIX = "sm4:1:"
KEY_BYTES = 16  # SM4 has one key size: 128 bits
_NONCE = 12
_TAG = 16
_IV = 16


def _sm3_hmac(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def _sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


@cache
def gcm_available() -> bool:
    """Whether this OpenSSL offers SM4-GCM (3.0 and later usually do)."""
    try:
        Cipher(algorithms.SM4(bytes(KEY_BYTES)), modes.GCM(bytes(_NONCE))).encryptor()
    except UnsupportedAlgorithm:
        return False
    return True


@dataclass(frozen=True)
class DataKey:
    """One SM4 data key and the id the store knows it by."""

    key: bytes = field(repr=False)

    @property
    def id(self) -> str:
        return _sm3(b"gateway data key\n" + self.key).hex()[:16]

    def subkey(self, purpose: str) -> bytes:
        return _sm3_hmac(self.key, purpose.encode())

    @classmethod
    def from_text(cls, text: str, where: str) -> DataKey:
        """A key written as 32 hex digits (``openssl rand -hex 16``)."""
        try:
            key = bytes.fromhex(text.strip())
        except ValueError:
            raise ConfigError("data key is not hex", key=where) from None
        if len(key) != KEY_BYTES:
            raise ConfigError("data key must be 32 hex digits (16 bytes)", key=where)
        return cls(key)

    @classmethod
    def generate(cls) -> DataKey:
        return cls(os.urandom(KEY_BYTES))


class Sealer:
    """Seals with the current key; opens with any key it was given (current or previous)."""

    def __init__(self, current: DataKey, previous: Iterable[DataKey] = ()) -> None:
        self.current = current
        self.keys = {k.id: k for k in (*previous, current)}
        self.scheme = "g" if gcm_available() else "c"
        # The store's own index key (random, kept sealed in data_keys): digests of record keys
        # outlive a rotation of the data key. Set by gateway.store.keyring when the store opens.
        self.index_key: bytes | None = None

    def digest(self, entity: str, key: str) -> str:
        """A keyed digest (HMAC-SM3) of a record key: equality lookups without the clear key."""
        if self.index_key is None:
            raise StoreError("the store's index key is not loaded")
        return _sm3_hmac(self.index_key, f"{entity}\n{key}".encode()).hex()

    def seal(self, clear: bytes) -> str:
        key = self.current
        if self.scheme == "g":
            nonce = os.urandom(_NONCE)
            sealing = Cipher(algorithms.SM4(key.key), modes.GCM(nonce)).encryptor()
            sealing.authenticate_additional_data(key.id.encode())
            body = nonce + sealing.update(clear) + sealing.finalize() + sealing.tag
        else:
            iv = os.urandom(_IV)
            padder = padding.PKCS7(128).padder()
            padded = padder.update(clear) + padder.finalize()
            encryptor = Cipher(algorithms.SM4(key.key), modes.CBC(iv)).encryptor()
            sealed = iv + encryptor.update(padded) + encryptor.finalize()
            body = sealed + _sm3_hmac(key.subkey("cbc-mac"), key.id.encode() + sealed)
        return f"{PREFIX}{key.id}:{self.scheme}:{base64.b64encode(body).decode()}"

    def open(self, token: str) -> bytes:
        key_id, scheme, body = _parts(token)
        key = self.keys.get(key_id)
        if key is None:
            raise StoreError("a value is sealed with a data key not configured", key_id=key_id)
        try:
            return _open(key, scheme, body)
        except (InvalidTag, ValueError):
            raise StoreError("a sealed value does not open: altered or wrong key",
                             key_id=key_id) from None  # fmt: skip

    def seal_text(self, clear: str) -> str:
        return self.seal(clear.encode("utf-8"))


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id_of(token: str) -> str:
    return _parts(token)[0]


def _parts(token: str) -> tuple[str, str, bytes]:
    try:
        key_id, scheme, body = token[len(PREFIX) :].split(":", 2)
        return key_id, scheme, base64.b64decode(body, validate=True)
    except ValueError:
        raise StoreError("a sealed value is malformed") from None


def _open(key: DataKey, scheme: str, body: bytes) -> bytes:
    if scheme == "g":
        nonce, sealed, tag = body[:_NONCE], body[_NONCE:-_TAG], body[-_TAG:]
        opening = Cipher(algorithms.SM4(key.key), modes.GCM(nonce, tag)).decryptor()
        opening.authenticate_additional_data(key.id.encode())
        return opening.update(sealed) + opening.finalize()
    if scheme == "c":
        sealed, mac = body[:-32], body[-32:]
        expected = _sm3_hmac(key.subkey("cbc-mac"), key.id.encode() + sealed)
        if not std_hmac.compare_digest(mac, expected):
            raise ValueError("mac")
        iv, ciphertext = sealed[:_IV], sealed[_IV:]
        decryptor = Cipher(algorithms.SM4(key.key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    raise ValueError("scheme")


def open_value(sealer: Sealer | None, value: str) -> str:
    """A column's text opened: sealed with ``sealer``'s keys, or clear (written unsealed)."""
    if not is_sealed(value):
        return value
    if sealer is None:
        raise StoreError("a sealed value and no data key: set store.encryption.key")
    return sealer.open(value).decode("utf-8")


def sealer_of(conn: Connection) -> Sealer | None:
    """The sealer of the store ``conn`` belongs to (``None``: a store kept in clear)."""
    found: Sealer | None = conn.info.get("sealer")
    return found
