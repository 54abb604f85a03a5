#!/usr/bin/env python3
"""Verify an exchange-log export on its own: an independent implementation of docs/audit-format.md.

Needs Python 3.11+ and the ``cryptography`` package, nothing of the gateway:

    python verify_export.py EXPORT --public-key checkpoint.pub.pem

Exit 0: every entry's hash and link recompute, the manifest matches the file, the manifest's
signature and every carried checkpoint verify under the public key. Exit 1: something does not
(each finding is printed). Exit 2: the files cannot be read. Without a public key the export is
"unauthenticated" and fails unless --allow-unsigned is given.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# docs/audit-format.md §2: the hashed columns, in this order; then the two that are not hashed.
HASHED = [
    "seq", "format_version", "ts", "kind", "run_id", "job", "platform", "direction",
    "operation", "endpoint", "attempt", "http_status", "business_code", "duration_ms",
    "record_count", "record_keys", "key_digests", "request_digest", "response_digest",
    "mapping", "mapping_version", "mapping_digest", "outcome", "detail", "prev_hash",
]  # fmt: skip
INTEGERS = {"seq", "format_version", "attempt", "http_status", "record_count", "mapping_version"}
GENESIS = "0" * 64
CHECKPOINT_PREFIX = b"gateway-audit-checkpoint v1\n"
MANIFEST_PREFIX = b"gateway-audit-export-manifest v2\n"


class Unreadable(Exception):
    """The export or its manifest cannot be read at all (exit 2)."""


def canonical(value: Any) -> bytes:
    """§1: keys sorted, no whitespace, UTF-8, non-ASCII characters as themselves."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def column(name: str, value: Any) -> Any:
    """§2: one column as hashed."""
    if value is None or value == "":
        return None
    if name in INTEGERS:
        return int(value)
    if name == "duration_ms":
        return f"{float(value):.3f}"
    return str(value)


def entry_hash(entry: dict[str, Any]) -> str:
    """§2: SHA-256 of the compact JSON object of the hashed columns, in table order."""
    ordered = {name: column(name, entry.get(name)) for name in HASHED}
    data = json.dumps(ordered, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def key_id(public: Ed25519PublicKey) -> str:
    """§4: the first 16 hex digits of the SHA-256 of the raw 32-byte public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signature_ok(public: Ed25519PublicKey, signature: Any, message: bytes) -> bool:
    try:
        public.verify(bytes.fromhex(str(signature)), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def without_signature(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "signature"}


def read_entries(path: Path, fmt: str) -> list[dict[str, Any]]:
    """§5: JSON Lines, one entry an object; or CSV with a header row, empty meaning null."""
    if fmt == "jsonl":
        with path.open("rb") as source:
            return [json.loads(line) for line in source if line.strip()]
    if fmt == "csv":
        csv.field_size_limit(1 << 30)
        with path.open(encoding="utf-8", newline="") as source:
            return list(csv.DictReader(source))
    raise Unreadable(f"unknown export format {fmt!r}")


def verify(export: Path, public: Ed25519PublicKey | None, allow_unsigned: bool) -> list[str]:
    """Every finding, in the order of docs/audit-format.md §7; empty when the export verifies."""
    manifest_file = export.with_name(export.name + ".manifest.json")
    try:
        manifest = json.loads(manifest_file.read_bytes())
        body = export.read_bytes()
    except (OSError, ValueError) as exc:
        raise Unreadable(str(exc)) from exc
    if manifest.get("kind") != "gateway-audit-export" or manifest.get("manifest_version") != 2:
        raise Unreadable("not a version 2 gateway-audit-export manifest")
    found: list[str] = []
    if hashlib.sha256(body).hexdigest() != manifest.get("sha256"):
        found.append("the file's SHA-256 differs from the manifest's sha256")
    try:
        entries = read_entries(export, str(manifest.get("format")))
    except ValueError as exc:
        return [*found, f"the entries cannot be read: {exc}"]

    hashes: dict[int, str] = {}
    prev_seq: int | None = None
    prev_hash: str | None = None
    for number, entry in enumerate(entries, start=1):
        try:
            seq = int(entry["seq"])
        except (KeyError, TypeError, ValueError):
            found.append(f"entry {number} of the file has no readable seq")
            continue
        if column("format_version", entry.get("format_version")) != 1:
            found.append(f"entry {seq}: unknown format_version")
            continue
        if entry_hash(entry) != entry.get("entry_hash"):
            found.append(f"entry {seq}: its hash does not recompute")
        if prev_seq is not None and seq != prev_seq + 1:
            found.append(f"entry {seq}: entries {prev_seq + 1}..{seq - 1} are missing")
        elif prev_hash is not None and entry.get("prev_hash") != prev_hash:
            found.append(f"entry {seq}: prev_hash is not the hash of entry {prev_seq}")
        hashes[seq] = str(entry.get("entry_hash"))
        prev_seq, prev_hash = seq, str(entry.get("entry_hash"))

    first = entries[0] if entries else None
    actual = {
        "count": len(entries),
        "first_seq": int(first["seq"]) if first else None,
        "last_seq": prev_seq,
        "prev_hash": first["prev_hash"] if first else None,
        "last_hash": prev_hash,
    }
    for name, value in actual.items():
        if manifest.get(name) != value:
            found.append(f"manifest {name} is {manifest.get(name)!r}, the file has {value!r}")
    if first is not None and actual["first_seq"] == 1 and first["prev_hash"] != GENESIS:
        found.append("entry 1 does not chain from the genesis hash")

    authenticated = public is not None
    signature = manifest.get("signature")
    if public is not None:
        ours = key_id(public)
        if not isinstance(signature, dict) or signature.get("alg") != "ed25519":
            found.append("the manifest carries no Ed25519 signature")
        elif signature.get("key_id") != ours:
            found.append(
                "the configured key does not match this log's checkpoints "
                f"(key id {ours} given, the manifest names key id {signature.get('key_id')})"
            )
        elif not signature_ok(
            public, signature.get("value"), MANIFEST_PREFIX + canonical(without_signature(manifest))
        ):
            found.append("the manifest's signature does not verify")

    first_seq, last_seq = min(hashes, default=None), max(hashes, default=None)
    for checkpoint in manifest.get("checkpoints") or []:
        seq = checkpoint.get("seq")
        label = f"checkpoint of seq {seq}"
        if checkpoint.get("kind") != "gateway-audit-checkpoint" or checkpoint.get("version") != 1:
            found.append(f"{label}: not a version 1 checkpoint")
            continue
        if public is not None:
            message = CHECKPOINT_PREFIX + canonical(without_signature(checkpoint))
            if checkpoint.get("key_id") != key_id(public):
                found.append(f"{label}: signed by another key ({checkpoint.get('key_id')})")
            elif not signature_ok(public, checkpoint.get("signature"), message):
                found.append(f"{label}: its signature does not verify")
        if last_seq is None or first_seq is None or seq > last_seq:
            found.append(f"{label}: beyond the file's last entry: the newest entries were cut")
        elif seq < first_seq:
            found.append(f"{label}: before the file's first entry: the oldest entries were cut")
        elif hashes.get(seq) != checkpoint.get("head_hash"):
            found.append(f"{label}: entry {seq} of the file has another hash")

    if not authenticated and not allow_unsigned:
        found.append("unauthenticated: no public key given (--public-key; --allow-unsigned)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="the export file (its manifest beside it)")
    parser.add_argument("--public-key", type=Path, help="the checkpoint public key (PEM)")
    parser.add_argument("--allow-unsigned", action="store_true", help="accept without a key")
    args = parser.parse_args(argv)
    public = None
    if args.public_key is not None:
        try:
            loaded = serialization.load_pem_public_key(args.public_key.read_bytes())
        except (OSError, ValueError) as exc:
            print(f"cannot read the public key {args.public_key}: {exc}", file=sys.stderr)
            return 2
        if not isinstance(loaded, Ed25519PublicKey):
            print(f"{args.public_key} is not an Ed25519 public key", file=sys.stderr)
            return 2
        public = loaded
    try:
        findings = verify(args.export, public, args.allow_unsigned)
    except Unreadable as exc:
        print(f"cannot read the export {args.export}: {exc}", file=sys.stderr)
        return 2
    for finding in findings:
        print(f"FAIL {finding}")
    if findings:
        return 1
    state = "authenticated" if public is not None else "unauthenticated, accepted"
    print(f"OK {args.export.name}: chain, manifest and checkpoints verify ({state})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
