"""Dead-letter operations: queries, state changes, pull replay with a fixed mapping, discards."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from gateway.audit import verify_chain
from gateway.config import GatewayConfig
from gateway.errors import StoreError
from gateway.mapping import FieldIssue, load_mapping
from gateway.pipeline.replay import Replayer
from gateway.pipeline.replay_session import SUPERSEDED
from gateway.store import RecordRow, Store, dlq, schema
from gateway.store.dlq import DeadLetter, add_dead_letters
from gateway.store.records import iter_hashes, upsert_records
from tests.helpers.dlq import (
    JOB,
    PERSONS,
    SEED,
    SIZE,
    broken_copy,
    cli,
    file_page,
    make_config,
    persons,
)
from tests.helpers.resilience_kit import fingerprint, reset_logging


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """The CLI commands configure logging for the process; undo it after each test."""
    yield
    reset_logging()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[GatewayConfig, Store, Path]]:
    mapping_path = broken_copy(tmp_path / "persons.yaml")
    config = make_config(tmp_path, mapping_path)
    store = Store(config.store_url)
    print(f"population seed={SEED} size={SIZE}")
    file_page(store, config, load_mapping(mapping_path), persons())
    yield config, store, mapping_path
    store.close()


def test_list_filters_by_job_status_and_rule(world: tuple[GatewayConfig, Store, Path]) -> None:
    """``--reason`` matches a rule or a field:rule pair exactly; ``_`` is not a wildcard."""
    _config, store, _ = world
    with store.connect() as conn:
        everything = dlq.list_letters(conn)
        by_rule = dlq.list_letters(conn, rule="code_map")
        by_pair = dlq.list_letters(conn, rule="employment_status:code_map")
        wildcard = dlq.list_letters(conn, rule="code_ma_")
        other_job = dlq.list_letters(conn, job="someone-else")
        replayed = dlq.list_letters(conn, status=dlq.REPLAYED)
        assert dlq.count_letters(conn, rule="code_map") == len(by_rule)
    assert len(everything) > len(by_rule) > 0
    assert {letter.id for letter in by_rule} == {letter.id for letter in by_pair}
    assert all("employment_status:code_map" in letter.rules for letter in by_rule)
    assert wildcard == []
    assert other_job == []
    assert replayed == []
    with store.connect() as conn, pytest.raises(StoreError):
        dlq.list_letters(conn, status="lost")


def test_only_open_letters_change_state(world: tuple[GatewayConfig, Store, Path]) -> None:
    """A discarded letter cannot be discarded or replayed again: the change names the letter."""
    _config, store, _ = world
    with store.transaction() as conn:
        letter = dlq.list_letters(conn, limit=1)[0]
        dlq.mark_discarded(conn, letter, "test")
    with store.transaction() as conn, pytest.raises(StoreError, match="not open"):
        dlq.mark_replayed(conn, letter)


def test_replay_with_fixed_mapping_equals_a_clean_run(
    world: tuple[GatewayConfig, Store, Path], tmp_path: Path
) -> None:
    """After adding the code value, replay stores exactly what a run with the fixed mapping
    would have stored; records that are still invalid stay open with attempts 2."""
    config, store, mapping_path = world
    with store.connect() as conn:
        code_letters = {x.id for x in dlq.list_letters(conn, rule="employment_status:code_map")}
        other_letters = {x.id for x in dlq.list_letters(conn)} - code_letters
    shutil.copyfile(PERSONS, mapping_path)
    (result,) = Replayer(config, store).replay(job=JOB)
    assert set(result.replayed) == code_letters
    assert set(result.still_failing) == other_letters
    assert result.superseded == []

    clean = Store(f"sqlite:///{tmp_path / 'clean.db'}")
    file_page(clean, config, load_mapping(PERSONS), persons())
    with store.connect() as a, clean.connect() as b:
        assert fingerprint(iter_hashes(a)) == fingerprint(iter_hashes(b))
        assert verify_chain(a).ok
        kinds = [row.kind for row in a.execute(select(schema.audit_log.c.kind))]
        assert kinds == ["dlq_replay"]
        still = dlq.list_letters(a, status=dlq.OPEN)
    clean.close()
    assert {x.id for x in still} == other_letters
    assert {x.attempts for x in still} == {2}


def test_replay_does_not_bring_back_stale_data(world: tuple[GatewayConfig, Store, Path]) -> None:
    """A letter whose record the store received in a newer version since is discarded as
    superseded; the newer version stays."""
    config, store, mapping_path = world
    with store.connect() as conn:
        letter = dlq.list_letters(conn, rule="employment_status:code_map", limit=1)[0]
    shutil.copyfile(PERSONS, mapping_path)
    key = load_mapping(PERSONS).map(letter.raw).key
    assert key is not None
    with store.transaction() as conn:
        upsert_records(conn, "person", [RecordRow(key, '{"newer": true}', "newer")], JOB)
    result = Replayer(config, store).replay(ids=[letter.id])[0]
    assert result.superseded == [letter.id]
    with store.connect() as conn:
        after = dlq.get_letter(conn, letter.id)
        payload = conn.execute(
            select(schema.records.c.payload).where(schema.records.c.key == key)
        ).scalar_one()
        kinds = [row.kind for row in conn.execute(select(schema.audit_log.c.kind))]
    assert after.status == dlq.DISCARDED
    assert after.note == SUPERSEDED
    assert payload == '{"newer": true}'
    assert kinds == ["dlq_discard"]


def test_replay_of_unknown_or_closed_ids_is_refused(
    world: tuple[GatewayConfig, Store, Path],
) -> None:
    """Asking for letters that do not exist or are not open fails and changes nothing."""
    config, store, _ = world
    with pytest.raises(StoreError, match="not found or not open"):
        Replayer(config, store).replay(ids=[999_999])


def test_show_masks_personal_data(world: tuple[GatewayConfig, Store, Path]) -> None:
    """``dlq show`` prints the input through the mapping's masks: no ID, phone or name in clear."""
    config, store, _ = world
    with store.connect() as conn:
        letter = dlq.list_letters(conn, rule="employment_status:code_map", limit=1)[0]
    raw = letter.raw
    for as_json in (True, False):
        result = cli(config, "show", str(letter.id), *(["--json"] if as_json else []))
        assert result.exit_code == 0, result.output
        leaked = [name for name in ("AAC002", "AAE005", "AAC003") if raw[name] in result.output]
        assert leaked == []
        assert raw["AAC002"][:3] + "*" * 11 + raw["AAC002"][-4:] in result.output
    shown = orjson.loads(cli(config, "show", str(letter.id), "--json").output)
    assert shown["masked_by"] == "labor_force.persons"
    assert shown["reasons"][0]["rule"] == "code_map"


def test_show_hides_everything_without_a_mapping(world: tuple[GatewayConfig, Store, Path]) -> None:
    """When the job's mapping file is gone, every input value is hidden rather than guessed."""
    config, store, mapping_path = world
    with store.connect() as conn:
        letter = dlq.list_letters(conn, limit=1)[0]
    mapping_path.unlink()
    shown = orjson.loads(cli(config, "show", str(letter.id), "--json").output)
    assert shown["masked_by"] == "none"
    assert set(shown["raw"].values()) == {"(hidden: the job's mapping could not be loaded)"}


def test_discard_keeps_the_letter_with_its_note_and_audits(
    world: tuple[GatewayConfig, Store, Path],
) -> None:
    """Discard marks the letter with the (scrubbed) note, writes one audit entry, and refuses
    to discard it twice."""
    config, store, _ = world
    with store.connect() as conn:
        letter = dlq.list_letters(conn, limit=1)[0]
    reason = "person left the province, see ticket for 520102199001011234"
    result = cli(config, "discard", str(letter.id), "--reason", reason)
    assert result.exit_code == 0, result.output
    with store.connect() as conn:
        after = dlq.get_letter(conn, letter.id)
        rows = conn.execute(select(schema.audit_log)).mappings().all()
        assert verify_chain(conn).ok
    assert after.status == dlq.DISCARDED
    assert after.note is not None
    assert "520102199001011234" not in after.note
    assert [r["kind"] for r in rows] == ["dlq_discard"]
    assert "520102199001011234" not in (rows[0]["detail"] or "")
    again = cli(config, "discard", str(letter.id), "--reason", "twice")
    assert again.exit_code != 0
    assert isinstance(again.exception, StoreError)


def test_list_json_and_status_filter(world: tuple[GatewayConfig, Store, Path]) -> None:
    """``dlq list --status replayed --json`` shows exactly the replayed letters, keys masked."""
    config, store, mapping_path = world
    shutil.copyfile(PERSONS, mapping_path)
    replayed = set(Replayer(config, store).replay(job=JOB)[0].replayed)
    result = cli(config, "list", "--status", "replayed", "--json")
    assert result.exit_code == 0, result.output
    listed = orjson.loads(result.output)
    assert {row["id"] for row in listed} == replayed
    assert all("*" in row["record_key"] for row in listed)
    assert "raw" not in listed[0]


def test_letters_of_a_removed_job_stay_open_and_do_not_block(
    world: tuple[GatewayConfig, Store, Path],
) -> None:
    """Replaying everything skips a job that is no longer configured and replays the rest."""
    config, store, mapping_path = world
    orphan = DeadLetter("old.csv#2", {"x": "1"}, [FieldIssue("x", "required")])
    with store.transaction() as conn:
        add_dead_letters(conn, "retired-job", "run-0", "thing", [orphan])
    shutil.copyfile(PERSONS, mapping_path)
    results = {r.job: r for r in Replayer(config, store).replay()}
    assert results["retired-job"].not_configured == 1
    assert results[JOB].replayed
    with store.connect() as conn:
        assert [x.status for x in dlq.list_letters(conn, job="retired-job")] == [dlq.OPEN]
