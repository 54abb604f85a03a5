"""SM4 at rest: sealed values, a sealed demo store whose bytes hold no person, key rotation.

After ``gateway demo`` (encryption on by default), the SQLite file's bytes and a PostgreSQL
dump hold no ID number, mobile number or name of the simulated population; the gateway still
syncs incrementally, replays dead letters, traces an ID number and verifies the audit log; a
configuration without the key is refused with one line; after ``store rotate-key`` every
command reads the store under the new key alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.codes.idnumber import is_valid_id_number
from gateway.errors import ConfigError, StoreError
from gateway.store import Store
from gateway.store.crypto import DataKey, Sealer, is_sealed, key_id_of
from tests.helpers.gateway_cli import DEMO_SIZE, demo_population, gateway_env, simulators_running
from tests.helpers.pg import temporary_database


def test_sealed_values_open_only_with_their_key() -> None:
    """GCM and CBC + HMAC-SM3 round trips; the key id rides along; tampering is refused."""
    old, new = DataKey.generate(), DataKey.generate()
    for scheme in ("g", "c"):
        sealer = Sealer(old)
        sealer.scheme = scheme
        token = sealer.seal_text("110105194912310021|张三")
        assert is_sealed(token)
        assert key_id_of(token) == old.id
        assert f":{scheme}:" in token
        assert "110105194912310021" not in token
        assert Sealer(new, [old]).open(token) == "110105194912310021|张三".encode()
        with pytest.raises(StoreError, match="not configured"):
            Sealer(new).open(token)
        body = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        with pytest.raises(StoreError):
            sealer.open(body)
    assert sealer.seal_text("x") != sealer.seal_text("x")  # a fresh nonce every time


def test_a_key_must_be_32_hex_digits() -> None:
    """A wrong key file is a configuration error naming the setting, never a traceback."""
    with pytest.raises(ConfigError, match="32 hex digits"):
        DataKey.from_text("abcd", "store.encryption.key")
    with pytest.raises(ConfigError, match="not hex"):
        DataKey.from_text("z" * 32, "store.encryption.key")


def test_a_store_without_a_key_keeps_working_in_clear(tmp_path: Path) -> None:
    """No key option: values are written in clear, as before."""
    store = Store(f"sqlite:///{tmp_path / 'clear.db'}")
    with store.transaction() as conn:
        store.save_checkpoint(conn, "j", {"after_key": "110105194912310021"}, "r")
    assert store.load_checkpoint("j") == {"after_key": "110105194912310021"}
    store.close()
    assert b"110105194912310021" in (tmp_path / "clear.db").read_bytes() + _wal(
        tmp_path / "clear.db"
    )


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def _gateway(
    args: list[str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd, env=gateway_env(cwd / "gateway.yaml"), input=stdin,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def personal_data_in(data: bytes, people: list[dict[str, Any]]) -> list[str]:
    """What of ``people`` the bytes hold in clear (ID number, name, mobile), described masked.

    The population is known, so each of its values is looked for; a scan for any valid ID
    number would also find the service network's case numbers (region, date, sequence), cut
    to 18 digits where a database page ends.
    """
    found: list[str] = []
    for person in people:
        for field in ("AAC002", "AAC003", "AAE005"):
            value = str(person.get(field) or "")
            if len(value) >= 2 and value.encode() in data:
                found.append(f"{field} of person {person['AAC002'][:3]}…")
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sealed")
    done = _gateway(["demo", "--dir", str(root / "demo"), "--size", str(DEMO_SIZE)], root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "demo"


def _store_bytes(demo: Path) -> bytes:
    return (demo / "gateway.db").read_bytes() + _wal(demo / "gateway.db")


def _config(demo: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((demo / "gateway.yaml").read_text(encoding="utf-8"))
    return loaded


def _write(demo: Path, data: dict[str, Any]) -> None:
    (demo / "gateway.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_demo_store_holds_no_person_in_clear_and_still_works(demo: Path) -> None:
    """Byte scan of the sealed demo store; then sync, replay, trace, verify all work."""
    people = demo_population()
    assert personal_data_in(_store_bytes(demo), people) == []
    status = _gateway(["status"], demo)
    assert "unencrypted" not in status.stdout
    data = _config(demo)
    with simulators_running(demo, data):
        again = _gateway(["sync", "labor-persons"], demo)
    assert again.returncode == 0, again.stdout + again.stderr
    replayed = _gateway(["dlq", "replay", "--job", "labor-persons", "--json"], demo)
    assert replayed.returncode in (0, 1), replayed.stderr
    assert json.loads(replayed.stdout)[0]["job"] == "labor-persons"
    stored = next(p for p in people if is_valid_id_number(p["AAC002"]))
    traced = _gateway(
        ["audit", "trace", "--id-number", "-", "--json"], demo, stdin=stored["AAC002"]
    )
    assert traced.returncode == 0, traced.stderr
    assert json.loads(traced.stdout)["count"] >= 1
    assert _gateway(["audit", "verify"], demo).returncode == 0
    assert personal_data_in(_store_bytes(demo), people) == []


def test_without_its_key_the_store_refuses_with_one_line(demo: Path) -> None:
    """The key option removed: exit 2 and one line naming what to set."""
    data = _config(demo)
    keyless = {**data, "store": {"url": data["store"]["url"]}}
    (demo / "keyless.yaml").write_text(yaml.safe_dump(keyless), encoding="utf-8")
    refused = _gateway(["status", "--config", str(demo / "keyless.yaml")], demo)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "set store.encryption.key" in lines[0]


def test_rotate_key_then_everything_reads_under_the_new_key(demo: Path) -> None:
    """rotate-key with the old key as previous; after it the new key alone opens the store."""
    data = _config(demo)
    old = data["store"]["encryption"]["key"]
    (demo / "secrets" / "data-key-2.txt").write_text(DataKey.generate().key.hex(), encoding="utf-8")
    data["store"]["encryption"] = {"key": "file:secrets/data-key-2.txt", "previous": [old]}
    _write(demo, data)
    rotated = _gateway(["store", "rotate-key", "--json"], demo)
    assert rotated.returncode == 0, rotated.stderr
    report = json.loads(rotated.stdout)
    assert report["rewritten"]["records"] > 0
    assert len(report["retired"]) == 1
    again = _gateway(["store", "rotate-key", "--json"], demo)  # resumable: nothing left to do
    assert set(json.loads(again.stdout)["rewritten"].values()) == {0}
    data["store"]["encryption"] = {"key": "file:secrets/data-key-2.txt"}
    _write(demo, data)
    assert _gateway(["status"], demo).returncode == 0
    listed = _gateway(["dlq", "list", "--json"], demo)
    letters = json.loads(listed.stdout)
    shown = _gateway(["dlq", "show", str(letters[0]["id"]), "--json"], demo)
    assert shown.returncode == 0, shown.stderr
    assert _gateway(["audit", "verify"], demo).returncode == 0
    entries = json.loads(_gateway(["audit", "search", "--json", "--limit", "5"], demo).stdout)
    assert any(e["operation"] == "store.rotate_key" for e in entries)
    assert personal_data_in(_store_bytes(demo), demo_population()) == []


def test_postgresql_dump_holds_no_person_in_clear(demo: Path, tmp_path: Path) -> None:
    """The persons pull into a sealed PostgreSQL store; pg_dump of it holds no one."""
    data = _config(demo)
    with temporary_database() as url:
        pg_dir = tmp_path / "pg"
        pg_dir.mkdir()
        for name in ("secrets",):
            (pg_dir / name).symlink_to(demo / name)
        data["store"]["url"] = url.replace("+psycopg", "")
        data["logging"]["file"] = None
        (pg_dir / "gateway.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        with simulators_running(pg_dir, data):
            pulled = _gateway(["sync", "labor-persons"], pg_dir)
        assert pulled.returncode in (0, 1), pulled.stdout + pulled.stderr
        dump = subprocess.run(
            ["pg_dump", "--data-only", url.replace("postgresql+psycopg", "postgresql")],
            capture_output=True, timeout=120, check=True,
        ).stdout  # fmt: skip
    assert b"COPY public.records" in dump
    assert personal_data_in(dump, demo_population()) == []


def test_status_says_when_the_store_is_unencrypted(tmp_path: Path) -> None:
    """A configuration without store.encryption works, and status says the data is in clear."""
    (tmp_path / "gateway.yaml").write_text(
        yaml.safe_dump(
            {"version": 1, "store": {"url": "sqlite:///clear.db"}, "logging": {"file": None}}
        ),
        encoding="utf-8",
    )
    shown = _gateway(["status"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "the store is unencrypted" in shown.stdout
