"""``gateway erase --id-number -``: one person gone from records, dead letters and the payload
archive; the audit chain still verifies and the erasure is an audit entry."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy import select

from gateway.audit.settings import payload_archive
from gateway.codes.idnumber import is_valid_id_number
from gateway.config import load_config
from gateway.erase import _forms
from gateway.mapping.result import FieldIssue
from gateway.store import Store, schema
from gateway.store.crypto import open_value, sealer_of
from gateway.store.dlq import DeadLetter, add_dead_letters
from gateway.store.keyring import data_sealer
from gateway.store.records import iter_payloads
from tests.helpers.gateway_cli import (
    DEMO_SIZE,
    demo_population,
    run_gateway_in,
    simulators_running,
)


def _where_held(demo: Path, id_number: str) -> dict[str, int]:
    """Where the store and the archive hold ``id_number``, opened as the gateway would."""
    config = load_config(demo / "gateway.yaml")
    store = Store(config.store_url, sealer=data_sealer(config))
    forms = _forms(id_number)
    found = {"records": 0, "dead_letters": 0, "archive": 0}
    try:
        with store.connect() as conn:
            entities = conn.execute(select(schema.records.c.entity).distinct()).scalars().all()
            for entity in entities:
                for key, payload in iter_payloads(conn, entity, include_deleted=True):
                    text = key + json.dumps(payload, ensure_ascii=False)
                    found["records"] += any(f in text for f in forms)
            sealer = sealer_of(conn)
            for (raw,) in conn.execute(select(schema.dead_letters.c.raw)):
                found["dead_letters"] += any(f in open_value(sealer, raw) for f in forms)
    finally:
        store.close()
    archive = payload_archive(config)
    for path in archive.root.glob("*/*.gz"):
        body = archive.get(path.name.removesuffix(".gz")).decode("utf-8", "replace")
        found["archive"] += any(f in body for f in forms)
    return found


def _file_a_letter(demo: Path, raw: dict[str, object]) -> None:
    config = load_config(demo / "gateway.yaml")
    store = Store(config.store_url, sealer=data_sealer(config))
    letter = DeadLetter(source="labor_force:persons [test]", raw=raw,
                        reasons=[FieldIssue("phone", "mobile", None, "test")])  # fmt: skip
    with store.transaction() as conn:
        add_dead_letters(conn, "labor-persons", "run-test", "person", [letter])
    store.close()


def test_erase_one_person(tmp_path: Path) -> None:
    """Records, a dead letter and archived bodies hold the person; after erase, nothing does."""
    demo = tmp_path / "demo"
    made = run_gateway_in(["demo", "--dir", str(demo), "--size", str(DEMO_SIZE)], tmp_path)
    assert made.returncode == 0
    data = yaml.safe_load((demo / "gateway.yaml").read_text(encoding="utf-8"))
    data["audit"]["archive_payloads"] = True
    (demo / "gateway.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with simulators_running(demo, data):
        pulled = run_gateway_in(["sync", "labor-persons", "--reset"], demo)
    assert pulled.returncode in (0, 1), pulled.stdout + pulled.stderr
    person = next(p for p in demo_population() if is_valid_id_number(p["AAC002"]))
    id_number = person["AAC002"]
    _file_a_letter(demo, {**person, "AAE005": "not a phone"})
    before = _where_held(demo, id_number)
    assert before["records"] >= 1
    assert before["dead_letters"] == 1
    assert before["archive"] >= 1
    erased = run_gateway_in(["erase", "--id-number", "-", "--json"], demo, stdin=id_number + "\n")
    assert erased.returncode == 0, erased.stderr
    assert id_number not in erased.stdout + erased.stderr
    summary = json.loads(erased.stdout)
    assert summary["records"] == before["records"]
    assert summary["dead_letters"] == 1
    assert summary["archived_payloads"] == before["archive"]
    assert _where_held(demo, id_number) == {"records": 0, "dead_letters": 0, "archive": 0}
    verified = run_gateway_in(["audit", "verify"], demo)
    assert verified.returncode == 0, verified.stdout
    entries = json.loads(run_gateway_in(["audit", "search", "--json", "--limit", "3"], demo).stdout)
    erasure = next(e for e in entries if e["operation"] == "erase")
    assert erasure["kind"] == "operator_action"
    assert id_number not in json.dumps(erasure)
    traced = run_gateway_in(["audit", "trace", "--id-number", "-", "--json"], demo, stdin=id_number)
    assert json.loads(traced.stdout)["count"] >= 1  # the log still answers "was it exchanged?"


def test_erase_refuses_an_invalid_number(tmp_path: Path) -> None:
    """A number that is no ID number is refused with one line, exit 2."""
    refused = run_gateway_in(["erase", "--id-number", "-"], tmp_path, stdin="12345\n")
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
