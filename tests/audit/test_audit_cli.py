"""``gateway audit``: exit codes, tables and JSON, and no raw key in any output."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from gateway.audit import AuditLog
from gateway.errors import AuditError, ConfigError
from gateway.store import Store, schema
from tests.helpers.audit import (
    ID_A,
    ID_B,
    KEY,
    USCC_A,
    attacker,
    exchange,
    run_cli,
    write_config,
)
from tests.helpers.pg import open_store

BODY = f'{{"AAC002": "{ID_A}", "phone": "13812345678"}}'.encode()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    """A gateway.yaml and a store with 5 entries: 1-3 from 2020 (ID_A in 1 and 3), 4-5 recent."""
    with open_store("sqlite", tmp_path) as store:
        config = write_config(tmp_path, store.url)
        old = AuditLog(
            KEY, archive_dir=tmp_path / "archive", clock=lambda: "2020-01-01T00:00:00.000000Z"
        )
        new = AuditLog(KEY, archive_dir=tmp_path / "archive")
        with store.transaction() as conn:
            old.append(
                conn,
                [exchange(1, [ID_A], body=BODY), exchange(2, [ID_B]), exchange(3, [ID_A, USCC_A])],
            )
            new.append(conn, [exchange(4), exchange(5)])
        yield config, store


def _json(output: str) -> Any:
    return orjson.loads(output)


def test_verify_exits_0_with_count_and_head(setup: tuple[Path, Store]) -> None:
    """An intact log: exit 0, the table shows the count, the JSON the head and seal check."""
    config, _ = setup
    shown = run_cli(["verify", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert "intact" in shown.stdout
    result = run_cli(["verify", "--config", str(config), "--json"])
    report = _json(result.stdout)
    assert report["ok"] is True
    assert report["count"] == 5
    assert report["seals_checked"] is True
    assert report["head_hash"][:40] in shown.stdout


def test_verify_exits_1_naming_the_first_bad_seq(setup: tuple[Path, Store]) -> None:
    """After an edit, verify exits 1 and names the edited entry and what differs."""
    config, store = setup
    with attacker(store) as conn:
        conn.execute(
            update(schema.audit_log).where(schema.audit_log.c.seq == 2).values(http_status=502)
        )
    result = run_cli(["verify", "--config", str(config), "--json"])
    assert result.exit_code == 1
    report = _json(result.stdout)
    assert report["first_bad_seq"] == 2
    assert report["problems"][0]["what"] == "entry_hash"
    table = run_cli(["verify", "--config", str(config)])
    assert table.exit_code == 1
    assert "BROKEN" in table.stdout


def test_search_filters_by_time_and_outcome(setup: tuple[Path, Store]) -> None:
    """--since/--until select by UTC time, newest first; --limit caps; --json gives lists."""
    config, _ = setup
    found = run_cli(["search", "--config", str(config), "--until", "2021-01-01", "--json"])
    assert [e["seq"] for e in _json(found.stdout)] == [3, 2, 1]
    recent = run_cli(
        ["search", "--config", str(config), "--since", "2021-01-01", "--limit", "1", "--json"]
    )
    assert [e["seq"] for e in _json(recent.stdout)] == [5]
    none = run_cli(["search", "--config", str(config), "--outcome", "error", "--json"])
    assert _json(none.stdout) == []
    table = run_cli(["search", "--config", str(config), "--direction", "pull"])
    assert table.exit_code == 0
    assert ID_A not in table.output


def test_trace_by_id_number_shows_it_masked(setup: tuple[Path, Store]) -> None:
    """--id-number finds entries 1 and 3 and prints the number masked, never whole."""
    config, _ = setup
    result = run_cli(["trace", "--config", str(config), "--id-number", ID_A, "--json"])
    data = _json(result.stdout)
    assert [e["seq"] for e in data["entries"]] == [1, 3]
    assert data["key"] == "ID number 110***********002X"
    table = run_cli(["trace", "--config", str(config), "--id-number", ID_A])
    assert "110***********002X: 2 entries" in table.stdout
    assert ID_A not in result.output + table.output


def test_trace_reads_the_number_from_stdin_and_by_uscc(setup: tuple[Path, Store]) -> None:
    """'-' reads the ID number from standard input; --uscc finds the credit code's entry."""
    config, _ = setup
    piped = run_cli(["trace", "--config", str(config), "--id-number", "-", "--json"], ID_B + "\n")
    assert [e["seq"] for e in _json(piped.stdout)["entries"]] == [2]
    by_uscc = run_cli(["trace", "--config", str(config), "--uscc", USCC_A, "--json"])
    assert [e["seq"] for e in _json(by_uscc.stdout)["entries"]] == [3]
    both = run_cli(["trace", "--config", str(config), "--uscc", USCC_A, "--key", "x"])
    assert isinstance(both.exception, ConfigError)


def test_trace_without_audit_key_says_to_set_it(tmp_path: Path) -> None:
    """With no audit.key configured, trace fails with a ConfigError that names audit.key."""
    with open_store("sqlite", tmp_path) as store:
        config = write_config(tmp_path, store.url, key=False)
    result = run_cli(["trace", "--config", str(config), "--key", "abc"])
    assert isinstance(result.exception, ConfigError)
    assert "audit.key" in str(result.exception)


def test_export_then_verify_the_copy(setup: tuple[Path, Store], tmp_path: Path) -> None:
    """export writes file and manifest; verify --export passes, and fails once the copy changes."""
    config, _ = setup
    out = tmp_path / "out" / "audit.csv"
    made = run_cli(
        ["export", "--config", str(config), "--format", "csv", "--since", "2019-12-31", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert "Exported 5 entries" in made.stdout
    checked = run_cli(["verify", "--config", str(config), "--export", str(out), "--json"])
    assert checked.exit_code == 0, checked.output
    assert _json(checked.stdout)["manifest"]["count"] == 5
    out.write_text(out.read_text(encoding="utf-8").replace("labor_force", "labor_forcE", 1))
    broken = run_cli(["verify", "--config", str(config), "--export", str(out)])
    assert broken.exit_code == 1


def test_show_prints_an_entry_and_its_payload(setup: tuple[Path, Store], tmp_path: Path) -> None:
    """show SEQ lists the entry; --payload prints the body masked, --out writes it exactly."""
    config, _ = setup
    entry = run_cli(["show", "1", "--config", str(config), "--json"])
    assert _json(entry.stdout)["record_keys"] == ["110***********002X"]
    masked = run_cli(["show", "1", "--config", str(config), "--payload", "request"])
    assert masked.exit_code == 0, masked.output
    assert "110***********002X" in masked.stdout
    assert "138****5678" in masked.stdout
    assert ID_A not in masked.output
    out = tmp_path / "request.json"
    run_cli(["show", "1", "--config", str(config), "--payload", "request", "--out", str(out)])
    assert out.read_bytes() == BODY
    digest = _json(entry.stdout)["request_digest"]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digest
    missing = run_cli(["show", "99", "--config", str(config)])
    assert isinstance(missing.exception, AuditError)


def test_prune_refuses_young_dates_and_keeps_the_chain_verifiable(
    setup: tuple[Path, Store],
) -> None:
    """prune refuses a date inside retention; an old date prunes, verify still exits 0."""
    config, _ = setup
    young = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    refused = run_cli(["prune", "--config", str(config), "--before", young, "--yes"])
    assert isinstance(refused.exception, ConfigError)
    done = run_cli(["prune", "--config", str(config), "--before", "2021-01-01", "--yes", "--json"])
    assert done.exit_code == 0, done.output
    report = _json(done.stdout)
    assert report["removed"] == 3
    assert report["checkpoint_seq"] == 6
    assert report["payload_files_removed"] >= 1
    verified = run_cli(["verify", "--config", str(config), "--json"])
    assert verified.exit_code == 0, verified.output
    assert _json(verified.stdout)["first_seq"] == 4
