"""Exports carry a manifest; a copy verifies offline, and a changed copy does not."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from gateway.audit import AuditLog, export_entries, verify_export
from gateway.audit.export import file_sha256, manifest_path
from gateway.audit.verify import What
from gateway.store import Store
from tests.helpers.audit import ID_A, KEY, exchange


def _append(store: Store, ts: str, *numbers: int) -> None:
    log = AuditLog(KEY, clock=lambda: ts)
    with store.transaction() as conn:
        log.append(conn, [exchange(n, [ID_A] if n % 2 else []) for n in numbers])


@pytest.fixture
def three_days(sqlite_store: Store) -> Store:
    """Three days of entries: seqs 1-2 on 1 March, 3-5 on 2 March, 6 on 3 March 2025."""
    _append(sqlite_store, "2025-03-01T10:00:00.000000Z", 1, 2)
    _append(sqlite_store, "2025-03-02T10:00:00.000000Z", 3, 4, 5)
    _append(sqlite_store, "2025-03-03T10:00:00.000000Z", 6)
    return sqlite_store


def _export(store: Store, out: Path, fmt: str, **kwargs: object) -> dict[str, object]:
    with store.connect() as conn:
        return export_entries(conn, out, fmt, signing_key=KEY, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_of_a_range_verifies_offline(three_days: Store, tmp_path: Path, fmt: str) -> None:
    """A middle range exports whole, its manifest names the link to the entry before it."""
    out = tmp_path / f"audit.{fmt}"
    manifest = _export(
        three_days, out, fmt, since=datetime(2025, 3, 2, tzinfo=UTC), until=datetime(2025, 3, 3)
    )
    assert (manifest["count"], manifest["first_seq"], manifest["last_seq"]) == (3, 3, 5)
    assert manifest["chain_head"] == {"seq": 6, "hash": manifest["chain_head"]["hash"]}  # type: ignore[index]
    assert manifest_path(out).exists()
    report, _ = verify_export(out, signing_key=KEY)
    assert report.ok, report.as_dict()
    assert report.seals_checked
    assert report.starts_from == manifest["prev_hash"]
    assert ID_A not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_changed_export_file_is_detected(three_days: Store, tmp_path: Path, fmt: str) -> None:
    """Editing one value in the copy breaks the file digest and names the edited entry."""
    out = tmp_path / f"audit.{fmt}"
    _export(three_days, out, fmt)
    out.write_text(out.read_text(encoding="utf-8").replace("persons.list", "persons.lisT", 1))
    report, _ = verify_export(out)
    assert not report.ok
    whats = {(p.seq, p.what) for p in report.problems}
    assert (None, What.EXPORT) in whats
    assert (1, What.ENTRY_HASH) in whats


def test_dropped_line_is_detected(three_days: Store, tmp_path: Path) -> None:
    """Removing one entry from a JSONL copy shows as a gap and a count mismatch."""
    out = tmp_path / "audit.jsonl"
    _export(three_days, out, "jsonl")
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:2] + lines[3:]))
    report, _ = verify_export(out)
    assert (4, What.GAP) in {(p.seq, p.what) for p in report.problems}
    assert any("count" in p.message for p in report.problems)


def test_rewritten_copy_and_manifest_fail_the_signature(three_days: Store, tmp_path: Path) -> None:
    """A copy re-digested into a forged manifest is unauthenticated without a key, and fails the
    signature with one."""
    out = tmp_path / "audit.csv"
    _export(three_days, out, "csv")
    with out.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    rows.pop()
    with out.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    path = manifest_path(out)
    manifest = orjson.loads(path.read_bytes())
    manifest.update(sha256=file_sha256(out), count=5, last_seq=5, last_hash=rows[-1]["entry_hash"])
    path.write_bytes(orjson.dumps(manifest))
    accepted, _ = verify_export(out, allow_unsigned=True)
    assert accepted.ok
    assert any("unauthenticated" in w for w in accepted.warnings)
    unsigned, _ = verify_export(out)
    assert [p.what for p in unsigned.problems] == [What.EXPORT]
    assert "unauthenticated" in unsigned.problems[0].message
    signed, _ = verify_export(out, signing_key=KEY)
    assert [p.what for p in signed.problems] == [What.EXPORT]
    assert "signature" in signed.problems[0].message


def test_empty_range_exports_an_empty_verifiable_file(three_days: Store, tmp_path: Path) -> None:
    """A range with no entries gives a manifest with count 0 that still verifies."""
    out = tmp_path / "none.jsonl"
    manifest = _export(three_days, out, "jsonl", since=datetime(2030, 1, 1, tzinfo=UTC))
    assert manifest["count"] == 0
    report, _ = verify_export(out, signing_key=KEY)
    assert report.ok
