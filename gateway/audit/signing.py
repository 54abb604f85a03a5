"""Signed checkpoints: the chain's head, signed with Ed25519, so a verifier needs no secret.

A checkpoint says "entry ``seq`` of this log has hash ``head_hash``; the store held ``count``
entries at ``time``", signed by the gateway's checkpoint key. Because every entry's hash covers
the one before it, a checkpoint vouches for the whole chain up to ``seq``: a log that ends before
it, or that differs from it, was cut or rewritten. ``docs/audit-format.md`` specifies the bytes.

The signed message is :data:`CHECKPOINT_CONTEXT` followed by the canonical JSON of every field
except ``signature`` (keys sorted, no whitespace, UTF-8); the signature is hex. The key id is the
first 16 hex digits of the SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.errors import AuditError, ConfigError

CHECKPOINT_KIND = "gateway-audit-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_CONTEXT = b"gateway-audit-checkpoint v1\n"
KEY_ID_CHARS = 16
_SEAL_KEY_ID_CONTEXT = b"gateway audit key id v1"


def canonical_json(value: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8 with non-ASCII as itself: what signatures cover."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def key_mismatch(configured: str, found: str) -> str:
    return (
        f"the configured key does not match this log's checkpoints (key id {configured} "
        f"configured, the checkpoints name key id {found})"
    )


def public_key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_CHARS]


def seal_key_id(audit_key: bytes) -> str:
    """A fingerprint of ``audit.key`` that tells which key sealed a log and reveals nothing."""
    return hmac.new(audit_key, _SEAL_KEY_ID_CONTEXT, hashlib.sha256).hexdigest()[:KEY_ID_CHARS]


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head_hash: str
    count: int
    time: str
    instance: str
    key_id: str
    seal_key_id: str | None = None
    signature: str | None = None
    kind: str = CHECKPOINT_KIND
    version: int = CHECKPOINT_VERSION

    def unsigned(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "signature"}

    def message(self) -> bytes:
        return CHECKPOINT_CONTEXT + canonical_json(self.unsigned())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> bytes:
        """One line of a witness file."""
        return canonical_json(self.as_dict()) + b"\n"

    def describe(self) -> str:
        return f"seq {self.seq}, count {self.count}, head {self.head_hash}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        """A checkpoint as read from a witness or a manifest; ``AuditError`` if malformed."""
        if not isinstance(data, Mapping) or data.get("kind") != CHECKPOINT_KIND:
            raise AuditError("not a checkpoint")
        if data.get("version") != CHECKPOINT_VERSION:
            raise AuditError("unknown checkpoint version", version=data.get("version"))
        try:
            return cls(
                seq=_int(data["seq"]),
                head_hash=str(data["head_hash"]),
                count=_int(data["count"]),
                time=str(data["time"]),
                instance=str(data["instance"]),
                key_id=str(data["key_id"]),
                seal_key_id=None if data.get("seal_key_id") is None else str(data["seal_key_id"]),
                signature=None if data.get("signature") is None else str(data["signature"]),
            )
        except KeyError as exc:
            raise AuditError("a checkpoint field is missing", field=str(exc)) from None


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise AuditError("a checkpoint number is not an integer")
    return value


class CheckpointVerifier:
    """Checks signatures with the public key alone."""

    def __init__(self, public: Ed25519PublicKey) -> None:
        self.public = public
        self.key_id = public_key_id(public)

    def valid(self, message: bytes, signature: str | None) -> bool:
        if signature is None:
            return False
        try:
            self.public.verify(bytes.fromhex(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def check(self, checkpoint: Checkpoint) -> bool:
        return self.valid(checkpoint.message(), checkpoint.signature)


class CheckpointSigner:
    """Signs with the private key; the public half verifies."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.verifier = CheckpointVerifier(private.public_key())
        self.key_id = self.verifier.key_id

    def sign_bytes(self, message: bytes) -> str:
        return self._private.sign(message).hex()

    def sign(self, checkpoint: Checkpoint) -> Checkpoint:
        unsigned = Checkpoint(**{**checkpoint.unsigned(), "key_id": self.key_id})
        return Checkpoint(
            **{**unsigned.unsigned(), "signature": self.sign_bytes(unsigned.message())}
        )


def load_private_key(pem: str, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigError("not a PEM private key without a passphrase", key=where) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("the checkpoint private key is not an Ed25519 key", key=where)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise ConfigError("the checkpoint public key cannot be read", path=str(path)) from exc
    except ValueError:
        raise ConfigError("not a PEM public key", path=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("the checkpoint public key is not an Ed25519 key", path=str(path))
    return key


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only; refuse to replace an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError("refusing to overwrite an existing key", path=str(path)) from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def generate_key_pair(private_path: Path, public_path: Path) -> str:
    """A new Ed25519 key pair: the private key 0600, the public key beside it; its key id."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(private_path, pem)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(public_pem(private.public_key()))
    return public_key_id(private.public_key())
