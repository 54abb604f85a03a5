"""Appending to the exchange log: what an entry holds, and that writers never fork the chain."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from gateway.audit import (
    GENESIS,
    AuditEvent,
    AuditLog,
    DigestedKey,
    KeyDigester,
    audit_log_from_config,
    dlq_discard_event,
    dlq_replay_event,
    run_end_event,
    run_start_event,
    verify_chain,
)
from gateway.audit.hashing import HASHED_COLUMNS, canonical_bytes, entry_hash
from gateway.config import load_config
from gateway.errors import AuditError, ConfigError
from gateway.store import Store, schema
from gateway.store.key_index import filed_digests
from tests.helpers.audit import (
    ID_A,
    ID_B,
    KEY,
    MAPPING,
    USCC_A,
    exchange,
    write_config,
    write_entries,
)
from tests.helpers.paths import ROOT


def _entries(store: Store) -> list[dict[str, Any]]:
    with store.connect() as conn:
        query = select(schema.audit_log).order_by(schema.audit_log.c.seq)
        return [dict(row._mapping) for row in conn.execute(query)]


def test_entry_holds_masked_keys_digests_and_body_digests(sqlite_store: Store) -> None:
    """An exchange entry keeps keys masked, their HMAC digests, body SHA-256s and the mapping."""
    log = AuditLog(KEY)
    event = exchange(1, [ID_A, ID_B])
    with sqlite_store.transaction() as conn:
        assert log.append(conn, [event]) == [1]
    [entry] = _entries(sqlite_store)
    assert orjson.loads(entry["record_keys"]) == ["110***********002X", "520***********1256"]
    digester = KeyDigester(KEY)
    assert set(orjson.loads(entry["key_digests"])) == {digester.digest(ID_A), digester.digest(ID_B)}
    assert entry["request_digest"] == hashlib.sha256(event.request_body).hexdigest()
    assert entry["response_digest"] == hashlib.sha256(b'{"code": "0"}').hexdigest()
    assert (entry["mapping"], entry["mapping_version"]) == (MAPPING.name, MAPPING.version)
    assert entry["record_count"] == 2
    assert entry["prev_hash"] == GENESIS
    assert entry["entry_hash"] == entry_hash(entry)
    assert str(entry["ts"]).endswith("Z")
    assert ID_A not in repr(entry)
    assert ID_B not in repr(entry)


def test_endpoint_and_detail_lose_secrets_and_personal_data(sqlite_store: Store) -> None:
    """Signature and token parameters, configured secrets and phone numbers never reach an entry."""
    log = AuditLog(KEY, secrets=["s3cr3t-app-secret"])
    event = AuditEvent(
        kind="exchange",
        outcome="error",
        endpoint=f"https://u:pw@lf.example/p?AAC002={ID_A}&sign=ab12&access_token=t0k&page=2",
        detail="refused: s3cr3t-app-secret for 13812345678",
    )
    with sqlite_store.transaction() as conn:
        log.append(conn, [event])
    [entry] = _entries(sqlite_store)
    assert entry["endpoint"] == (
        "https://u:[secret]@lf.example/p?AAC002=110***********002X"
        "&sign=[secret]&access_token=[secret]&page=2"
    )
    assert entry["detail"] == "refused: [secret] for 138****5678"


def test_composite_key_is_indexed_by_the_id_number_inside_it(sqlite_store: Store) -> None:
    """A key ``ID|time`` gets a digest of its own and one for the ID number within it."""
    log = AuditLog(KEY)
    with sqlite_store.transaction() as conn:
        log.append(conn, [exchange(1, [f"{ID_B}|2024-05-01T10:00:00", USCC_A.lower()])])
    digester = KeyDigester(KEY)
    with sqlite_store.connect() as conn:
        indexed = {
            digest
            for filed in conn.execute(select(schema.audit_key_index.c.digests)).scalars()
            for digest in filed_digests(filed)
        }
    assert digester.digest(ID_B) in indexed
    assert digester.digest(f"{ID_B}|2024-05-01T10:00:00") in indexed
    assert digester.digest(USCC_A) in indexed


def test_canonical_form_is_plain_json_anyone_can_recompute() -> None:
    """The hashed bytes equal a standard library's compact JSON of the documented columns."""
    row = dict.fromkeys(HASHED_COLUMNS) | {
        "seq": 7, "format_version": 1, "ts": "2025-01-02T03:04:05.000006Z", "kind": "exchange",
        "job": "persons", "duration_ms": 12.5, "record_count": 1, "record_keys": '["张*"]',
        "key_digests": "[]", "outcome": "ok", "detail": "超时\n重试", "prev_hash": GENESIS,
    }  # fmt: skip
    expected = {name: row[name] for name in HASHED_COLUMNS} | {"duration_ms": "12.500"}
    stdlib = json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode()
    assert canonical_bytes(row) == stdlib
    assert entry_hash(row) == hashlib.sha256(stdlib).hexdigest()


def test_page_count_is_kept_when_keys_are_not_listed() -> None:
    """An exchange that reports a record count but no keys keeps the count."""
    event = exchange(1)
    assert event.record_count == 0
    log = AuditLog(KEY)
    event.record_count = 500
    assert log.entry_body(event)["record_count"] == 500


def test_helpers_build_run_and_dead_letter_entries(sqlite_store: Store) -> None:
    """Run start/end and DLQ replay/discard helpers append entries of their kinds with details."""
    log = AuditLog(KEY)
    letter_key = DigestedKey(masked="520***********1256", digest=log.key_digest(ID_B))
    events = [
        run_start_event(run_id="r1", job="persons", platform="labor_force", direction="pull",
                        mapping=MAPPING, instance="host:1"),
        run_end_event(run_id="r1", job="persons", status="succeeded", counts={"read": 3000},
                      duration_ms=1234.5, error=f"late for {ID_A}"),
        dlq_replay_event(job="persons", letter_ids=[4, 5], keys=[letter_key], replayed=1,
                         still_rejected=1, actor="ops1"),
        dlq_discard_event(job="persons", letter_ids=[6], reason="duplicate", actor="ops2"),
    ]  # fmt: skip
    with sqlite_store.transaction() as conn:
        log.append(conn, events)
    entries = _entries(sqlite_store)
    assert [e["kind"] for e in entries] == ["run_start", "run_end", "dlq_replay", "dlq_discard"]
    assert [e["outcome"] for e in entries] == ["started", "succeeded", "ok", "ok"]
    assert orjson.loads(str(entries[1]["detail"])) == {
        "counts": {"read": 3000},
        "error": "late for 110***********002X",
    }
    assert entries[1]["record_count"] == 3000
    assert orjson.loads(str(entries[2]["detail"]))["dead_letters"] == [4, 5]
    assert orjson.loads(str(entries[2]["key_digests"])) == [letter_key.digest]
    assert orjson.loads(str(entries[3]["detail"]))["actor"] == "ops2"


def test_unknown_kind_and_missing_outcome_are_refused() -> None:
    """An unknown kind, an empty outcome or a hand-made prune checkpoint is an AuditError."""
    with pytest.raises(AuditError):
        AuditEvent(kind="exchnage", outcome="ok")
    with pytest.raises(AuditError):
        AuditEvent(kind="exchange", outcome="")
    with pytest.raises(AuditError, match="prune alone"):
        AuditEvent(kind="prune_checkpoint", outcome="ok")


def test_concurrent_threads_never_fork_the_chain(store: Store) -> None:
    """Four threads appending at once leave one contiguous chain that verifies."""
    log = AuditLog(KEY)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for n in range(15):
                with store.transaction() as conn:
                    log.append(conn, [exchange(offset + n, [ID_A]), exchange(offset + n)])
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i * 100,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.connect() as conn:
        report = verify_chain(conn)
    assert report.ok, report.as_dict()
    assert (report.count, report.first_seq, report.last_seq) == (120, 1, 120)


_WRITER = """
import sys
from gateway.audit import AuditLog
from gateway.store import Store
from tests.helpers.audit import KEY, exchange
store = Store(sys.argv[1])
for n in range(15):
    with store.transaction() as conn:
        AuditLog(KEY).append(conn, [exchange(n)])
"""


def test_concurrent_processes_never_fork_the_chain_on_sqlite(tmp_path: Path) -> None:
    """Two processes appending to one SQLite file leave one contiguous chain that verifies."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Store(url).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, url], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    store = Store(url)
    with store.connect() as conn:
        report = verify_chain(conn)
    store.close()
    assert report.ok
    assert report.count == 30


def test_audit_log_from_config_needs_a_long_enough_key(tmp_path: Path) -> None:
    """Without audit.key the error says to set it; a short key is refused; archive as configured."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with pytest.raises(ConfigError, match=r"set audit\.key"):
        audit_log_from_config(load_config(write_config(tmp_path, url, key=False)))
    config = load_config(write_config(tmp_path, url))
    log = audit_log_from_config(config)
    assert log.archive is not None
    assert log.archive.root == tmp_path / "archive"
    assert log.key_digest(ID_A) == KeyDigester(KEY).digest(ID_A)
    (tmp_path / "secrets" / "audit-key.txt").write_text("short", encoding="utf-8")
    with pytest.raises(ConfigError, match="too short"):
        audit_log_from_config(config)


def test_appends_in_one_transaction_share_a_head(sqlite_store: Store) -> None:
    """Entries appended together chain to each other in order, and later appends continue on."""
    log = AuditLog(KEY)
    assert write_entries(sqlite_store, log, 5, per_tx=3) == [1, 2, 3, 4, 5]
    entries = _entries(sqlite_store)
    for before, after in itertools.pairwise(entries):
        assert after["prev_hash"] == before["entry_hash"]
