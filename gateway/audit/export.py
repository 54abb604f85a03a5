"""Exports: a contiguous run of entries as CSV or JSONL, with a manifest to verify a copy by.

``OUT.manifest.json`` records the range asked for, the seqs and count exported, the hash the
first entry chains from, the last entry's hash, the live chain's head at export time, and the
SHA-256 of the export file. Checking a copy needs no database: the file's digest must match, and
every entry's hash, link and seq must recompute inside the file. With the audit key at hand the
manifest is also signed (HMAC-SHA256) and the entries' seals are checked, so a copy rewritten
together with its manifest is caught.

The export covers whole seqs from the first entry at or after ``since`` to the last before
``until``, so the run is contiguous even if clocks ever disagreed.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, func, select

from gateway.audit.hashing import ALL_COLUMNS
from gateway.audit.keys import Sealer
from gateway.audit.query import as_utc
from gateway.audit.verify import Problem, VerifyReport, What, walk
from gateway.clock import to_iso, utc_now_iso
from gateway.errors import AuditError
from gateway.store import schema

ExportFormat = Literal["csv", "jsonl"]
MANIFEST_KIND = "gateway-audit-export"
MANIFEST_VERSION = 1
_SIGNING_CONTEXT = b"gateway audit export manifest v1"


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json")


def _signature(manifest: Mapping[str, Any], key: bytes) -> str:
    # A key derived for this one purpose, so a manifest signature never doubles as a key digest.
    subkey = hmac.new(key, _SIGNING_CONTEXT, hashlib.sha256).digest()
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    body = orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)
    return hmac.new(subkey, body, hashlib.sha256).hexdigest()


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
    clock: Callable[[], str] = utc_now_iso,
) -> dict[str, Any]:
    """Write the entries and ``OUT.manifest.json``; answers the manifest."""
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
    }
    if signing_key:
        manifest["signature"] = _signature(manifest, signing_key)
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
    out: Path, *, signing_key: bytes | None = None
) -> tuple[VerifyReport, dict[str, Any]]:
    """Check a copy offline against its manifest; answers the report and the manifest.

    With ``signing_key`` (the audit key) the manifest's signature and every entry's seal are
    checked too.
    """
    manifest = load_manifest(out)
    report = VerifyReport(starts_from=manifest.get("prev_hash"))

    def problem(message: str) -> None:
        report.problems.append(Problem(None, What.EXPORT, message))

    if not out.exists():
        raise AuditError("the export file is missing", file=str(out))
    if file_sha256(out) != manifest.get("sha256"):
        problem("the file's SHA-256 does not match the manifest: the file was changed")
    sealer = Sealer(signing_key) if signing_key else None
    walker = walk(_read_rows(out, str(manifest.get("format")), report), report, sealer)
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
    signature = manifest.get("signature")
    if signing_key and signature is None:
        report.warnings.append("the manifest is not signed")
    elif signing_key and not hmac.compare_digest(str(signature), _signature(manifest, signing_key)):
        problem("the manifest's signature does not match: the manifest was changed")
    elif signature is not None and not signing_key:
        report.warnings.append("the manifest's signature was not checked (no audit.key)")
    report.sort()
    return report, manifest
