"""No ID number, mobile number or secret escapes: the demo's outputs, logs and audit log, scanned.

The demo moves thousands of generated persons (valid ID numbers, mobile numbers, names) through
every job; then the commands an operator runs next are run too. Everything they print, every
log file and every audit entry is scanned for an 18-character ID number with a valid check digit
(ISO 7064 MOD 11-2), an 11-digit mobile number, and each configured secret. "Standing alone"
means not inside a longer run of letters or digits, so hex digests are not mistaken for numbers.
Findings are reported masked: this test must not leak what it looks for.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Table, select
from stdnum.iso7064 import mod_11_2

from gateway.config import load_config
from gateway.masking import mask_id_number
from gateway.store import Store, schema
from gateway.store.keyring import data_sealer
from gateway.store.records import iter_payloads
from tests.helpers.gateway_cli import gateway_env
from tests.helpers.leaks import ID_RE, find_leaks, gateway_in, secret_values

FOLLOW_UPS = (
    ["status"],
    ["audit", "verify"],
    ["audit", "search", "--limit", "1000"],
    ["dlq", "list"],
    ["report", "labor", "--by", "county"],
    ["report", "catalogue", "--json"],
)


def _table_text(store: Store, table: Table, skip: tuple[str, ...] = ()) -> str:
    columns = [c for c in table.columns if c.name not in skip]
    with store.connect() as conn:
        return "\n".join(
            " ".join("" if v is None else str(v) for v in row)
            for row in conn.execute(select(*columns))
        )


def _opened_records(store: Store) -> str:
    """Every record's key and payload as text, opened when the store seals them."""
    with store.connect() as conn:
        entities = conn.execute(select(schema.records.c.entity).distinct()).scalars().all()
        return "\n".join(
            f"{key} {json.dumps(payload, ensure_ascii=False)}"
            for entity in entities
            for key, payload in iter_payloads(conn, entity, include_deleted=True)
        )


def test_detector_finds_what_it_must() -> None:
    """The scan finds planted numbers and secrets in raw, escaped and prefixed forms."""
    planted = (
        '{"event": "\\u5f20\\u4e0911010519491231002X"}\ntel +8613812345678 key=s3cr3t-s3cr3t\n'
    )
    found = find_leaks("sample", planted, ["s3cr3t-s3cr3t"])
    assert "sample: ID number 110***********002X" in found
    assert "sample: mobile 138****5678" in found
    assert "sample: secret s3c…" in found
    clean = "110***********002X 138****5678 ab11010519491231002Xcd 110105194912310021"
    assert find_leaks("clean", clean, ["s3cr3t-s3cr3t"]) == []


def test_demo_and_follow_up_commands_leak_nothing(tmp_path: Path) -> None:
    """After the demo, no output, log file or audit entry holds personal data or a secret."""
    directory = tmp_path / "demo"
    demo = gateway_in(["demo", "--dir", str(directory), "--size", "3000"], tmp_path, gateway_env())
    assert demo.returncode == 0, demo.stderr[-2000:]
    # The demo ends with every report's headline, computed from what it synced.
    assert "the bureau's figures on 2022-11-30" in demo.stdout
    for report in ("inspection:", "labor: 3,000 persons received", "cases:", "catalogue: 206"):
        assert report in demo.stdout
    config_path = directory / "gateway.yaml"
    env = gateway_env(config_path)
    outputs = {"demo": demo}
    for args in FOLLOW_UPS:
        result = gateway_in(args, directory, env)
        if "No such command" in result.stderr:
            continue
        outputs[" ".join(args)] = result
    assert outputs["audit verify"].returncode == 0, outputs["audit verify"].stdout

    config = load_config(config_path)
    secrets = secret_values(config, directory)
    assert secrets, "the demo configured no secrets to look for"
    store = Store(config.store_url, sealer=data_sealer(config))
    moved = _opened_records(store)
    people = {m for m in ID_RE.findall(moved) if mod_11_2.is_valid(m.upper())}
    assert len(people) > 100, "the demo moved too few persons for this scan to mean anything"

    person = sorted(people)[0]
    outputs["audit trace"] = gateway_in(
        ["audit", "trace", "--id-number", "-"], directory, env, person
    )
    assert outputs["audit trace"].returncode == 0, outputs["audit trace"].stderr[-2000:]
    assert mask_id_number(person) in outputs["audit trace"].stdout

    leaks: list[str] = []
    for name, result in outputs.items():
        leaks += find_leaks(f"`gateway {name}` stdout", result.stdout, secrets)
        leaks += find_leaks(f"`gateway {name}` stderr", result.stderr, secrets)
    log_files = [p for p in (directory / "logs").rglob("*") if p.is_file()]
    assert log_files, "the demo wrote no log file"
    for path in log_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        leaks += find_leaks(str(path.relative_to(directory)), text, secrets)
    leaks += find_leaks("audit_log table", _table_text(store, schema.audit_log), secrets)
    leaks += find_leaks("runs table", _table_text(store, schema.runs), secrets)
    # The raw input is kept on purpose, so a replay can re-map it; everything shown is masked.
    shown = _table_text(store, schema.dead_letters, skip=("raw",))
    leaks += find_leaks("dead_letters table (all but raw)", shown, secrets)
    store.close()
    assert leaks == []
