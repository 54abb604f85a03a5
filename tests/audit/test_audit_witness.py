"""Tampering as the store's owner would, against ``gateway audit verify`` with a witness file.

Each store holds 60 entries and a signed checkpoint of its head in ``witness.jsonl``; the guard
triggers are put back after every attack, so nothing but the chain and the witness can tell.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, select, update

from gateway.audit import AuditLog, Sealer
from gateway.audit.chain import chain_entries
from gateway.audit.guard import guard_problems
from gateway.audit.hashing import entry_hash
from gateway.store import Store, schema
from tests.helpers.audit import (
    KEY,
    covert_attacker,
    exchange,
    run_cli,
    write_config,
    write_entries,
)

LOG, INDEX = schema.audit_log, schema.audit_key_index
COUNT = 60


@pytest.fixture
def witnessed(store: Store, tmp_path: Path) -> tuple[Path, Store]:
    """A config with a checkpoint key and a witness file; 60 entries; a checkpoint of seq 60."""
    write_entries(store, AuditLog(KEY), COUNT, per_tx=10)
    config = write_config(tmp_path, store.url, checkpoints=True)
    written = run_cli(["checkpoint", "--config", str(config)])
    assert written.exit_code == 0, written.output
    return config, store


def _verify(config: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli(["verify", "--config", str(config), "--json"])
    return result.exit_code, orjson.loads(result.stdout)


def _rows(conn: Connection, low: int) -> list[dict[str, Any]]:
    query = select(LOG).where(LOG.c.seq >= low).order_by(LOG.c.seq)
    return [dict(r) for r in conn.execute(query).mappings()]


def _rechain(conn: Connection, rows: list[dict[str, Any]], prev: str, sealer: Sealer) -> None:
    """Put ``rows`` back with hashes recomputed from ``prev`` and sealed with ``sealer``."""
    conn.execute(LOG.delete().where(LOG.c.seq >= rows[0]["seq"]))
    for row in rows:
        row["prev_hash"] = prev
        row["entry_hash"] = prev = entry_hash(row)
        row["seal"] = sealer.seal(prev)
    conn.execute(LOG.insert(), rows)


def _hash(conn: Connection, seq: int) -> str:
    return str(conn.execute(select(LOG.c.entry_hash).where(LOG.c.seq == seq)).scalar_one())


def edit_a_field(conn: Connection) -> None:
    conn.execute(update(LOG).where(LOG.c.seq == 30).values(http_status=500))


def delete_a_middle_entry(conn: Connection) -> None:
    conn.execute(LOG.delete().where(LOG.c.seq == 30))


def swap_two_entries(conn: Connection) -> None:
    conn.execute(update(LOG).where(LOG.c.seq == 20).values(seq=-1))
    conn.execute(update(LOG).where(LOG.c.seq == 21).values(seq=20))
    conn.execute(update(LOG).where(LOG.c.seq == -1).values(seq=21))


def rehash_without_the_key(conn: Connection) -> None:
    rows = _rows(conn, 30)
    rows[0]["outcome"] = "error"
    _rechain(conn, rows, _hash(conn, 29), Sealer(b"the attacker's own key-12345"))


def forge_with_the_trace_key(conn: Connection) -> None:
    """Whoever holds audit.key (the trace key) seals a replacement for the newest entry."""
    rows = _rows(conn, COUNT)
    rows[0]["outcome"] = "error"
    _rechain(conn, rows, _hash(conn, COUNT - 1), Sealer(KEY))


def delete_newest(n: int) -> Callable[[Connection], None]:
    def attack(conn: Connection) -> None:
        conn.execute(INDEX.delete().where(INDEX.c.seq > COUNT - n))
        conn.execute(LOG.delete().where(LOG.c.seq > COUNT - n))

    return attack


def delete_oldest_10(conn: Connection) -> None:
    conn.execute(INDEX.delete().where(INDEX.c.seq <= 10))
    conn.execute(LOG.delete().where(LOG.c.seq <= 10))


def forge_appended_after_a_cut(conn: Connection) -> None:
    """Cut the newest 5 and append one forged, correctly sealed entry with the trace key."""
    delete_newest(5)(conn)
    chain_entries(conn, [AuditLog(KEY).entry_body(exchange(999))], Sealer(KEY))


WITNESS = "witness file:"
ATTACKS: list[tuple[str, Callable[[Connection], None], int | None, str]] = [
    ("edit a field", edit_a_field, 30, "entry_hash"),
    ("delete a middle entry", delete_a_middle_entry, 31, "gap"),
    ("swap two entries", swap_two_entries, 20, "entry_hash"),
    ("rehash without the key", rehash_without_the_key, 30, "seal"),
    ("delete the newest entry", delete_newest(1), COUNT, "witness"),
    ("delete the newest 40 entries", delete_newest(40), COUNT - 39, "witness"),
    ("delete the oldest 10 entries", delete_oldest_10, 11, "anchor"),
    ("forge the newest entry with the trace key", forge_with_the_trace_key, COUNT, "witness"),
    ("cut and append a forged entry", forge_appended_after_a_cut, COUNT - 3, "witness"),
]


@pytest.mark.parametrize(
    ("attack", "first_seq", "what"),
    [pytest.param(a, s, w, id=name) for name, a, s, w in ATTACKS],
)
def test_tampering_fails_naming_the_entry_or_the_witness(
    witnessed: tuple[Path, Store],
    attack: Callable[[Connection], None],
    first_seq: int | None,
    what: str,
) -> None:
    """Each attack, guard restored, makes verify exit 1 naming the first bad entry or witness."""
    config, store = witnessed
    assert _verify(config)[0] == 0
    with covert_attacker(store) as conn:
        attack(conn)
    with store.connect() as conn:
        assert guard_problems(conn) == []
    code, report = _verify(config)
    assert code == 1
    assert report["warnings"] == [] or all("trigger" not in w for w in report["warnings"])
    assert report["first_bad_seq"] == first_seq, report["problems"]
    first = report["problems"][0]
    assert first["what"] == what, report["problems"]
    if what == "witness":
        assert WITNESS in first["message"]
        assert "count 60" in first["message"]
    else:
        assert f"{first_seq}" in first["message"]


def test_untouched_log_matches_its_witness(witnessed: tuple[Path, Store]) -> None:
    """An intact log verifies and reports the witness's checkpoint it was compared with."""
    config, _ = witnessed
    code, report = _verify(config)
    assert code == 0, report["problems"]
    assert [c["seq"] for c in report["checkpoints"]] == [COUNT]
    assert report["checkpoints"][0]["witness"].startswith("file:")


@pytest.mark.parametrize(
    "attack",
    [rehash_without_the_key, forge_with_the_trace_key, delete_newest(1)],
    ids=["rehash", "forge-with-trace-key", "delete-newest"],
)
def test_the_public_key_alone_catches_what_the_seals_cannot(
    witnessed: tuple[Path, Store], attack: Callable[[Connection], None]
) -> None:
    """An auditor with the public key and the witness, but no audit.key, still sees the attack."""
    config, store = witnessed
    text = config.read_text(encoding="utf-8")
    text = text.replace("  key: file:secrets/audit-key.txt\n", "")
    text = text.replace("    private_key: file:secrets/checkpoint.pem\n", "")
    config.write_text(text, encoding="utf-8")
    code, report = _verify(config)
    assert code == 0, report["problems"]
    assert report["seals_checked"] is False
    with covert_attacker(store) as conn:
        attack(conn)
    code, report = _verify(config)
    assert code == 1
    assert [p["what"] for p in report["problems"]] == ["witness"], report["problems"]
