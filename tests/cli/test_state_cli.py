"""``gateway state show|set|clear``: a pull job's cursor, a push job's position, checked,
masked and audited, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.cli.root import app
from gateway.config import load_config
from gateway.errors import GatewayError
from gateway.store import Store, schema
from gateway.store.keyring import data_sealer
from simulators.demo.config import DemoContext, write_config

ID_NUMBER = "520102199001011234"


def _config(tmp_path: Path, store_url: str) -> Path:
    path = write_config(DemoContext(tmp_path, size=20))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["store"]["url"] = store_url
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _cli(*args: str) -> tuple[int, str]:
    """Exit code and output, a GatewayError mapped to its code as ``gateway`` itself does."""
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, GatewayError):
        return result.exception.exit_code, str(result.exception)
    return result.exit_code, result.output


def _store(store_url: str, config: str) -> Store:
    """The store as the commands open it: with the demo's data key."""
    return Store(store_url, sealer=data_sealer(load_config(Path(config))))


def _operator_actions(store_url: str, config: str) -> list[str]:
    store = _store(store_url, config)
    table = schema.audit_log
    with store.connect() as conn:
        rows = conn.execute(
            select(table.c.operation, table.c.detail).where(table.c.kind == "operator_action")
        ).all()
    store.close()
    assert all(ID_NUMBER not in (detail or "") for _op, detail in rows)
    return [op for op, _detail in rows]


def test_pull_cursor_show_set_clear(tmp_path: Path, store_url: str) -> None:
    """set refuses a wrong version or shape (exit 2), accepts the stream's own; show --json
    round-trips it with the key masked; clear forgets it; set and clear are audited."""
    config = str(_config(tmp_path, store_url))
    code, _ = _cli("state", "show", "labor-persons", "-c", config, "--json")
    assert code == 0
    for bad in ('{"v": 2, "updated_since": "x", "after_key": ""}', '{"v": 1, "seq": 3}', "[1]"):
        code, output = _cli("state", "set", "labor-persons", bad, "-c", config)
        assert code == 2, output
    cursor = {"v": 1, "updated_since": "2026-01-01T00:00:00", "after_key": ID_NUMBER}
    code, output = _cli("state", "set", "labor-persons", json.dumps(cursor), "-c", config)
    assert code == 0, output
    code, output = _cli("state", "show", "labor-persons", "-c", config, "--json")
    shown = json.loads(output)
    assert shown["direction"] == "pull"
    assert shown["cursor"]["updated_since"] == cursor["updated_since"]
    assert shown["cursor"]["after_key"] != ID_NUMBER
    assert shown["cursor"]["after_key"].endswith("1234")
    assert shown["saved_at"].endswith("Z")
    store = _store(store_url, config)
    assert store.load_checkpoint("labor-persons") == cursor
    store.close()
    code, _ = _cli("state", "clear", "labor-persons", "-c", config)
    assert code == 0
    code, output = _cli("state", "show", "labor-persons", "-c", config, "--json")
    assert json.loads(output)["cursor"] is None
    assert _operator_actions(store_url, config) == ["state.set", "state.clear"]


def test_push_position_is_checked_against_the_store(tmp_path: Path, store_url: str) -> None:
    """A push job's position is a change sequence no later than the store's; its outbox shown."""
    config = str(_config(tmp_path, store_url))
    code, output = _cli(
        "state", "set", "labor-verifications-push", '{"v": 1, "seq": 5}', "-c", config
    )
    assert code == 2, output
    code, output = _cli(
        "state", "set", "labor-verifications-push", '{"v": 1, "seq": 0}', "-c", config
    )
    assert code == 0, output
    code, output = _cli("state", "show", "labor-verifications-push", "-c", config, "--json")
    shown = json.loads(output)
    assert shown["cursor"] == {"v": 1, "seq": 0}
    assert shown["outbox"] == {}
    assert shown["store_change_seq"] == 0
