"""A dead-letter world: the labor persons mapping (whole, or without a code), a config, pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from gateway.cli.root import app as gateway_app
from gateway.config import GatewayConfig, parse_config
from gateway.mapping import CompiledMapping
from gateway.pipeline.context import content_hash, key_masker
from gateway.pipeline.replay import Replayer
from gateway.store import RecordRow, Store
from gateway.store.dlq import DeadLetter, add_dead_letters
from gateway.store.records import upsert_records
from mappings import MAPPINGS_DIR
from simulators.labor_force.population import Population

SEED = 7
SIZE = 400
JOB = "labor-persons"
PERSONS = MAPPINGS_DIR / "labor_force" / "persons.yaml"


def broken_copy(target: Path) -> Path:
    """The shipped persons mapping without the employment code "9" (其他)."""
    text = PERSONS.read_text(encoding="utf-8")
    assert '    "9": other\n' in text
    target.write_text(text.replace('    "9": other\n', ""), encoding="utf-8")
    return target


def make_config(tmp_path: Path, mapping: Path) -> GatewayConfig:
    (tmp_path / "audit.key").write_text("k" * 32, encoding="utf-8")
    data: dict[str, Any] = {
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "audit": {"key": "file:audit.key"},
        "logging": {"file": None},
        "platforms": {
            "labor_force": {
                "adapter": "labor_force",
                "base_url": "http://127.0.0.1:9",
                "app_key": "bureau",
                "app_secret": "env:UNUSED_IN_THESE_TESTS",
            }
        },
        "jobs": {
            JOB: {"source": "labor_force.persons", "target": "store", "mapping": str(mapping)}
        },
    }
    return parse_config(data, "test", tmp_path)


def file_page(
    store: Store, config: GatewayConfig, mapping: CompiledMapping, raws: list[dict[str, Any]]
) -> None:
    """What a pull commits for one page: mapped rows into the store, the rest as letters."""
    replayer = Replayer(config, store)
    masker = key_masker(mapping)
    rows, letters = [], []
    for n, (raw, result) in enumerate(zip(raws, mapping.map_many(raws), strict=True)):
        if result.ok and result.record is not None and result.key:
            payload = orjson.dumps(result.record, option=orjson.OPT_SORT_KEYS)
            rows.append(RecordRow(result.key, payload.decode(), content_hash(payload)))
            continue
        key = result.key
        letters.append(
            DeadLetter(
                source=f"labor_force:persons [{n + 1}]",
                raw=raw,
                reasons=result.errors,
                record_key=masker(key) if key else None,
                key_digest=replayer.audit.key_digest(key) if key else None,
            )
        )
    with store.transaction() as conn:
        upsert_records(conn, mapping.entity, rows, JOB)
        add_dead_letters(conn, JOB, "run-1", mapping.entity, letters)


def persons() -> list[dict[str, Any]]:
    population = Population(size=SIZE, seed=SEED)
    return [population.person(i) for i in range(SIZE)]


def cli(config: GatewayConfig, *args: str) -> Any:
    assert config.base_dir is not None
    (config.base_dir / "gateway.yaml").write_text(
        orjson.dumps(config.model_dump(mode="json")).decode(), encoding="utf-8"
    )
    return CliRunner().invoke(
        gateway_app,
        ["dlq", *args, "--config", str(config.base_dir / "gateway.yaml")],
        catch_exceptions=True,
    )
