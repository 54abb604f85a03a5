"""Exports: a contiguous run of entries as CSV or JSONL, with a manifest to verify a copy by.

``OUT.manifest.json`` records the range asked for, the seqs and count exported, the hash the
first entry chains from, the last entry's hash, the live chain's head at export time, the
SHA-256 of the export file, and the signed checkpoints that fall inside the range (the first
and the last: together they catch a cut at either end they cover). Checking a copy needs no
database: the file's digest must match, every entry's hash, link and seq must recompute inside
the file, and each checkpoint must name an entry of the file with its hash.

The manifest is signed with the checkpoint key (Ed25519), so an auditor checks it with the public
key alone; without a checkpoint key, with an HMAC under a key derived from ``audit.key``. A copy
whose signature is missing or wrong fails whenever a key is at hand, and one checked without any
key is "unauthenticated" and fails unless the auditor accepts that. ``docs/audit-format.md``
specifies the bytes.

The export covers whole seqs from the first entry at or after ``since`` to the last before
``until``, so the run is contiguous even if clocks ever disagreed.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, func, select

from gateway.audit.hashing import ALL_COLUMNS
from gateway.audit.keys import Sealer
from gateway.audit.query import as_utc
from gateway.audit.signing import (
    Checkpoint,
    CheckpointSigner,
    CheckpointVerifier,
    canonical_json,
    key_mismatch,
    seal_key_id,
)
from gateway.audit.verify import Problem, VerifyReport, What, collapse_foreign_seals, walk
from gateway.clock import to_iso, utc_now_iso
from gateway.errors import AuditError
from gateway.store import schema

ExportFormat = Literal["csv", "jsonl"]
MANIFEST_KIND = "gateway-audit-export"
MANIFEST_VERSION = 2
MANIFEST_CONTEXT = b"gateway-audit-export-manifest v2\n"
_SIGNING_CONTEXT = b"gateway audit export manifest v1"
_HMAC_CONTEXT = b"gateway audit export manifest hmac v2"


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def _legacy_signature(manifest: Mapping[str, Any], key: bytes) -> str:
    """Version 1 manifests: an HMAC string, checked so that older exports still verify."""
    subkey = hmac.new(key, _SIGNING_CONTEXT, hashlib.sha256).digest()
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    body = orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)
    return hmac.new(subkey, body, hashlib.sha256).hexdigest()


def manifest_message(manifest: Mapping[str, Any]) -> bytes:
    """The bytes a version 2 manifest's signature covers."""
    return MANIFEST_CONTEXT + canonical_json(
        {k: v for k, v in manifest.items() if k != "signature"}
    )


def _hmac(manifest: Mapping[str, Any], key: bytes) -> str:
    # A key derived for this one purpose, so a manifest signature never doubles as a key digest.
    subkey = hmac.new(key, _HMAC_CONTEXT, hashlib.sha256).digest()
    return hmac.new(subkey, manifest_message(manifest), hashlib.sha256).hexdigest()


def sign_manifest(
    manifest: Mapping[str, Any], signer: CheckpointSigner | None, key: bytes | None
) -> dict[str, str] | None:
    if signer is not None:
        value = signer.sign_bytes(manifest_message(manifest))
        return {"alg": "ed25519", "key_id": signer.key_id, "value": value}
    if key:
        return {"alg": "hmac-sha256", "key_id": seal_key_id(key), "value": _hmac(manifest, key)}
    return None


def covering(checkpoints: Iterable[Checkpoint], first: int, last: int) -> list[Checkpoint]:
    """The first and the last checkpoint inside ``first..last``: what catches a cut end."""
    inside = sorted(
        {(c.seq, c.head_hash): c for c in checkpoints if first <= c.seq <= last}.items()
    )
    if not inside:
        return []
    ends = [inside[0][1], inside[-1][1]]
    return ends if len(inside) > 1 else ends[:1]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomic(path: Path, write: Callable[[Any], None], *, binary: bool) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    try:
        if binary:
            with temp.open("wb") as out:
                write(out)
        else:
            with temp.open("w", encoding="utf-8", newline="") as out:
                write(out)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _seq_range(
    conn: Connection, since: datetime | None, until: datetime | None
) -> tuple[int, int] | None:
    log = schema.audit_log
    first_q = select(func.min(log.c.seq))
    last_q = select(func.max(log.c.seq))
    if since is not None:
        first_q = first_q.where(log.c.ts >= to_iso(as_utc(since)))
    if until is not None:
        last_q = last_q.where(log.c.ts < to_iso(as_utc(until)))
    first, last = conn.execute(first_q).scalar(), conn.execute(last_q).scalar()
    if first is None or last is None or last < first:
        return None
    return int(first), int(last)


def export_entries(
    conn: Connection,
    out: Path,
    fmt: ExportFormat,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    signing_key: bytes | None = None,
    signer: CheckpointSigner | None = None,
    checkpoints: Iterable[Checkpoint] = (),
    clock: Callable[[], str] = utc_now_iso,
) -> dict[str, Any]:
    """Write the entries and ``OUT.manifest.json``; answers the manifest.

    ``checkpoints`` are those the witnesses hold; the ones that cover the range are carried.
    """
    log = schema.audit_log
    head = conn.execute(select(log.c.seq, log.c.entry_hash).order_by(log.c.seq.desc()).limit(1))
    head_row = head.first()
    span = _seq_range(conn, since, until)
    seen: dict[str, Any] = {"count": 0, "prev_hash": None, "last_hash": None, "versions": set()}

    def rows() -> Iterator[dict[str, Any]]:
        if span is None:
            return
        query = select(log).where(log.c.seq.between(*span)).order_by(log.c.seq)
        for row in conn.execute(query.execution_options(yield_per=1000)).mappings():
            seen["count"] += 1
            seen["prev_hash"] = seen["prev_hash"] or row["prev_hash"]
            seen["last_hash"] = row["entry_hash"]
            seen["versions"].add(row["format_version"])
            yield {name: row[name] for name in ALL_COLUMNS}

    def write_jsonl(target: Any) -> None:
        for row in rows():
            target.write(orjson.dumps(row) + b"\n")

    def write_csv(target: Any) -> None:
        writer = csv.writer(target)
        writer.writerow(ALL_COLUMNS)
        for row in rows():
            writer.writerow(["" if row[name] is None else row[name] for name in ALL_COLUMNS])

    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        _write_atomic(out, write_jsonl, binary=True)
    else:
        _write_atomic(out, write_csv, binary=False)
    manifest: dict[str, Any] = {
        "kind": MANIFEST_KIND,
        "manifest_version": MANIFEST_VERSION,
        "file": out.name,
        "format": fmt,
        "sha256": file_sha256(out),
        "since": to_iso(as_utc(since)) if since else None,
        "until": to_iso(as_utc(until)) if until else None,
        "count": seen["count"],
        "first_seq": span[0] if span else None,
        "last_seq": span[1] if span else None,
        "prev_hash": seen["prev_hash"],
        "last_hash": seen["last_hash"],
        "chain_head": {"seq": head_row[0], "hash": head_row[1]} if head_row else None,
        "entry_format_versions": sorted(seen["versions"]),
        "exported_at": clock(),
        "checkpoints": [c.as_dict() for c in covering(checkpoints, *span)] if span else [],
    }
    signature = sign_manifest(manifest, signer, signing_key)
    if signature is not None:
        manifest["signature"] = signature
    body = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    _write_atomic(manifest_path(out), lambda target: target.write(body), binary=True)
    return manifest


def load_manifest(out: Path) -> dict[str, Any]:
    path = manifest_path(out)
    try:
        manifest = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise AuditError("the export has no manifest beside it", manifest=str(path)) from None
    except orjson.JSONDecodeError:
        raise AuditError("the manifest is not valid JSON", manifest=str(path)) from None
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        raise AuditError("not an audit export manifest", manifest=str(path))
    return manifest


def _read_rows(out: Path, fmt: str, report: VerifyReport) -> Iterator[Mapping[str, Any]]:
    if fmt == "csv":
        # A page of a thousand keys makes fields longer than the csv module's default limit;
        # the limit is process-wide, so it is put back for every other CSV reader.
        previous = csv.field_size_limit(max(csv.field_size_limit(), sys.maxsize >> 32))
        try:
            with out.open(encoding="utf-8", newline="") as source:
                yield from csv.DictReader(source)
        finally:
            csv.field_size_limit(previous)
        return
    with out.open("rb") as source:
        for number, line in enumerate(source, start=1):
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                report.problems.append(Problem(None, What.FORMAT, f"line {number} is not JSON"))


def verify_export(
    out: Path,
    *,
    signing_key: bytes | None = None,
    verifier: CheckpointVerifier | None = None,
    allow_unsigned: bool = False,
) -> tuple[VerifyReport, dict[str, Any]]:
    """Check a copy offline against its manifest; answers the report and the manifest.

    ``verifier`` (the checkpoint public key) checks the manifest's signature and the carried
    checkpoints; ``signing_key`` (the audit key) checks an HMAC signature and every entry's seal.
    """
    manifest = load_manifest(out)
    report = VerifyReport(starts_from=manifest.get("prev_hash"))

    def problem(message: str, what: What = What.EXPORT, seq: int | None = None) -> None:
        report.problems.append(Problem(seq, what, message))

    if not out.exists():
        raise AuditError("the export file is missing", file=str(out))
    if file_sha256(out) != manifest.get("sha256"):
        problem("the file's SHA-256 does not match the manifest: the file was changed")
    sealer = Sealer(signing_key) if signing_key else None
    hashes: dict[int, str] = {}

    def keep(rows: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for row in rows:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                hashes[int(row["seq"])] = str(row["entry_hash"])
            yield row

    walker = walk(keep(_read_rows(out, str(manifest.get("format")), report)), report, sealer)
    if sealer is not None:
        collapse_foreign_seals(report, sealer.key_id)
    expected = {
        "count": report.count,
        "first_seq": report.first_seq,
        "last_seq": report.last_seq,
        "prev_hash": walker.first_prev,
        "last_hash": report.head_hash,
    }
    for name, found in expected.items():
        if manifest.get(name) != found:
            problem(f"manifest {name} is {manifest.get(name)}, the file has {found}")
    authenticated = _check_checkpoints(manifest, hashes, report, verifier)
    authenticated = _check_signature(manifest, report, signing_key, verifier) and authenticated
    if not authenticated:
        message = (
            "unauthenticated: no key to check the manifest's signature and checkpoints with "
            "(configure audit.checkpoint.public_key or give --public-key)"
        )
        if allow_unsigned:
            report.warnings.append(message)
        else:
            problem(message + "; --allow-unsigned accepts it")
    report.sort()
    return report, manifest


def _check_signature(
    manifest: Mapping[str, Any],
    report: VerifyReport,
    signing_key: bytes | None,
    verifier: CheckpointVerifier | None,
) -> bool:
    """Problems for a missing or bad signature; whether it could be checked at all."""

    def problem(message: str, what: What = What.EXPORT) -> None:
        report.problems.append(Problem(None, what, message))

    signature = manifest.get("signature")
    if signature is None:
        if signing_key or verifier:
            problem("the manifest is not signed: it was rewritten, or exported without a key")
            return True
        return False
    if isinstance(signature, str):
        if not signing_key:
            return False
        if not hmac.compare_digest(signature, _legacy_signature(manifest, signing_key)):
            problem("the manifest's signature does not match: the manifest was changed")
        return True
    if not isinstance(signature, dict):
        problem("the manifest's signature is not readable")
        return True
    alg, key_id, value = signature.get("alg"), signature.get("key_id"), signature.get("value")
    if alg == "ed25519":
        if verifier is None:
            return False
        if key_id != verifier.key_id:
            problem(key_mismatch(verifier.key_id, str(key_id)), What.KEY)
        elif not verifier.valid(manifest_message(manifest), str(value)):
            problem("the manifest's signature does not verify: the manifest was changed")
        return True
    if alg == "hmac-sha256":
        if not signing_key:
            return False
        if key_id != seal_key_id(signing_key):
            problem(key_mismatch(seal_key_id(signing_key), str(key_id)), What.KEY)
        elif not hmac.compare_digest(str(value), _hmac(manifest, signing_key)):
            problem("the manifest's signature does not match: the manifest was changed")
        return True
    problem(f"the manifest's signature algorithm {alg!r} is unknown")
    return True


def _check_checkpoints(
    manifest: Mapping[str, Any],
    hashes: Mapping[int, str],
    report: VerifyReport,
    verifier: CheckpointVerifier | None,
) -> bool:
    """Each carried checkpoint: signed by the key, and naming an entry of the file by its hash.

    Answers whether the checkpoints could be authenticated (true when there are none).
    """
    first = min(hashes, default=None)
    last = max(hashes, default=None)
    authenticated = True
    mismatched: set[str] = set()
    for raw in manifest.get("checkpoints") or []:
        try:
            cp = Checkpoint.from_dict(raw)
        except AuditError as exc:
            report.problems.append(Problem(None, What.CHECKPOINT, f"a checkpoint: {exc}"))
            continue
        said = f"checkpoint of seq {cp.seq} (head {cp.head_hash}, count {cp.count})"
        if verifier is None:
            authenticated = False
        elif cp.key_id != verifier.key_id:
            mismatched.add(cp.key_id)
        elif not verifier.check(cp):
            report.problems.append(
                Problem(None, What.CHECKPOINT, f"the {said} has an invalid signature")
            )
            continue
        if first is None or last is None or cp.seq > last:
            report.problems.append(
                Problem(
                    cp.seq,
                    What.CHECKPOINT,
                    f"the {said} covers entries the file does not hold (it ends at seq {last}): "
                    "the newest entries were cut",
                )
            )
        elif cp.seq < first:
            report.problems.append(
                Problem(
                    cp.seq,
                    What.CHECKPOINT,
                    f"the {said} names an entry before the file's first (seq {first}): "
                    "the oldest entries were cut",
                )
            )
        elif hashes.get(cp.seq) != cp.head_hash:
            report.problems.append(
                Problem(
                    cp.seq,
                    What.CHECKPOINT,
                    f"the {said} does not match entry {cp.seq} of the file "
                    f"({hashes.get(cp.seq)}): the entries up to it were rewritten",
                )
            )
    if mismatched and verifier is not None:
        report.problems.append(
            Problem(None, What.KEY, key_mismatch(verifier.key_id, ", ".join(sorted(mismatched))))
        )
    return authenticated
