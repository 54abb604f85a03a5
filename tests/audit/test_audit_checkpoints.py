"""Checkpoints and their witnesses: each witness class, the interval, keys that do not match."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit import AuditLog
from gateway.audit.checkpoints import Checkpointer
from gateway.audit.settings import checkpoint_signer
from gateway.audit.signing import Checkpoint, CheckpointSigner, generate_key_pair
from gateway.audit.witnesses import DatabaseWitness, FileWitness, HttpWitness, SyslogWitness
from gateway.audit.witnesses.syslog import TAG
from gateway.config import load_config
from gateway.errors import AuditError, ConfigError
from gateway.store import Store
from tests.helpers.audit import KEY, exchange, run_cli, write_config, write_entries
from tests.helpers.pg import open_store

SIGNER = CheckpointSigner(Ed25519PrivateKey.generate())


def _checkpoint(seq: int = 3, head: str = "a" * 64) -> Checkpoint:
    draft = Checkpoint(seq, head, seq, "2025-03-03T00:00:00.000000Z", "gw-1", SIGNER.key_id)
    return SIGNER.sign(draft)


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    """A store of 5 entries, a config with a checkpoint key and a witness file, one checkpoint."""
    with open_store("sqlite", tmp_path) as store:
        write_entries(store, AuditLog(KEY), 5)
        config = write_config(tmp_path, store.url, checkpoints=True)
        assert run_cli(["checkpoint", "--config", str(config)]).exit_code == 0
        yield config, store


def _verify(config: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli(["verify", "--config", str(config), "--json"])
    return result.exit_code, orjson.loads(result.stdout)


def test_file_witness_appends_lines_readable_only_by_the_owner(tmp_path: Path) -> None:
    """Each checkpoint is one more line; the file is created 0600; latest is the last line."""
    witness = FileWitness(tmp_path / "w" / "checkpoints.jsonl")
    witness.record(_checkpoint(1))
    witness.record(_checkpoint(2))
    assert (witness.path.stat().st_mode & 0o777) == 0o600
    assert len(witness.path.read_bytes().splitlines()) == 2
    latest = witness.latest()
    assert latest is not None
    assert latest.seq == 2
    assert SIGNER.verifier.check(latest)


def test_syslog_witness_sends_the_signed_line(tmp_path: Path) -> None:
    """The datagram carries the tag and the checkpoint's JSON, which still verifies."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        port = server.getsockname()[1]
        SyslogWitness(f"127.0.0.1:{port}", "authpriv").record(_checkpoint())
        message = server.recv(65536).decode()
    assert TAG in message
    sent = Checkpoint.from_dict(orjson.loads(message.split(TAG, 1)[1].rstrip("\x00\n")))
    assert SIGNER.verifier.check(sent)


class _Collector(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str | None, bytes]]] = []
    status = 201

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers.get("Authorization"), body))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def test_http_witness_posts_the_checkpoint_and_reports_a_refusal() -> None:
    """The endpoint gets the checkpoint with the bearer token; a 5xx answer is an AuditError."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/checkpoints"
        HttpWitness(url, "t0ken", 5).record(_checkpoint())
        token, body = _Collector.received[-1]
        assert token == "Bearer t0ken"
        assert SIGNER.verifier.check(Checkpoint.from_dict(orjson.loads(body)))
        _Collector.status = 503
        with pytest.raises(AuditError, match="refused"):
            HttpWitness(url, None, 5).record(_checkpoint())
    finally:
        _Collector.status = 201
        server.shutdown()
        server.server_close()


def test_database_witness_keeps_checkpoints_and_answers_the_latest(tmp_path: Path) -> None:
    """A second database holds every checkpoint; latest() is the newest written."""
    witness = DatabaseWitness(f"sqlite:///{tmp_path / 'witness.db'}")
    try:
        assert witness.latest() is None
        witness.record(_checkpoint(1))
        witness.record(_checkpoint(4))
        latest = witness.latest()
        assert latest is not None
        assert latest.seq == 4
    finally:
        witness.close()


def test_database_witness_in_the_config_catches_a_cut(
    configured: tuple[Path, Store], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Configured beside the file witness, the database witness is compared as well."""
    config, _ = configured
    monkeypatch.setenv("WITNESS_DB", f"sqlite:///{tmp_path / 'witness.db'}")
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "  witnesses:\n",
            "  witnesses:\n    - type: database\n      url: env:WITNESS_DB\n",
        ),
        encoding="utf-8",
    )
    assert run_cli(["checkpoint", "--config", str(config)]).exit_code == 0
    code, report = _verify(config)
    assert code == 0, report["problems"]
    assert {c["witness"].split(":")[0] for c in report["checkpoints"]} == {"file", "database"}


def test_checkpoints_are_signed_at_the_interval_only(tmp_path: Path) -> None:
    """maybe() signs nothing before interval_seconds have passed, and one checkpoint after."""
    now = [100.0]
    witness = FileWitness(tmp_path / "w.jsonl")
    with open_store("sqlite", tmp_path) as store:
        write_entries(store, AuditLog(KEY), 3)
        checkpointer = Checkpointer(
            SIGNER, [witness], instance="gw", seal_key_id=None, interval_seconds=60,
            monotonic=lambda: now[0],
        )  # fmt: skip
        checkpointer.maybe(store)
        now[0] += 59
        checkpointer.maybe(store)
        assert not witness.path.exists()
        now[0] += 1
        checkpointer.maybe(store)
        checkpointer.maybe(store)
    latest = witness.latest()
    assert latest is not None
    assert (latest.seq, latest.count) == (3, 3)
    assert len(witness.path.read_bytes().splitlines()) == 1


def test_a_witness_that_fails_is_named_and_the_command_exits_1(
    configured: tuple[Path, Store],
) -> None:
    """A witness path that cannot be written: `audit checkpoint` names it and exits 1."""
    config, _ = configured
    blocker = config.parent / "blocked"
    blocker.write_text("a file, not a directory", encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace("path: witness.jsonl", "path: blocked/w")
    config.write_text(text, encoding="utf-8")
    result = run_cli(["checkpoint", "--config", str(config)])
    assert result.exit_code == 1
    assert "blocked" in result.stdout
    assert "failed" in result.stdout


def test_wrong_public_key_is_reported_once(configured: tuple[Path, Store], tmp_path: Path) -> None:
    """Another key pair's public key: one problem naming both key ids."""
    config, _ = configured
    other = generate_key_pair(tmp_path / "other.pem", tmp_path / "other.pub.pem")
    text = config.read_text(encoding="utf-8").replace(
        "public_key: checkpoint.pub.pem", "public_key: other.pub.pem"
    )
    text = text.replace("    private_key: file:secrets/checkpoint.pem\n", "")
    config.write_text(text, encoding="utf-8")
    code, report = _verify(config)
    assert code == 1
    assert [p["what"] for p in report["problems"]] == ["key"]
    message = report["problems"][0]["message"]
    assert "the configured key does not match this log's checkpoints (key id" in message
    assert other in message


def test_wrong_trace_key_is_reported_once_not_per_entry(configured: tuple[Path, Store]) -> None:
    """A different audit.key: one problem naming the key ids, no seal problem per entry."""
    config, _ = configured
    (config.parent / "secrets" / "audit-key.txt").write_text("another-key-0123456789abc")
    code, report = _verify(config)
    assert code == 1
    assert [p["what"] for p in report["problems"]] == ["key"]
    assert "does not match this log's checkpoints (key id" in report["problems"][0]["message"]


def test_wrong_trace_key_without_a_witness_is_reported_once(tmp_path: Path) -> None:
    """Without checkpoints to name the key, seals failing on every entry give one problem."""
    with open_store("sqlite", tmp_path) as store:
        write_entries(store, AuditLog(KEY), 5)
        config = write_config(tmp_path, store.url)
        (tmp_path / "secrets" / "audit-key.txt").write_text("another-key-0123456789abc")
        code, report = _verify(config)
    assert code == 1
    assert [p["what"] for p in report["problems"]] == ["key"]
    assert "does not match this log's seals (key id" in report["problems"][0]["message"]


def test_witness_verify_checks_signatures_and_forks(configured: tuple[Path, Store]) -> None:
    """Intact: exit 0. An altered line or two heads for one seq: exit 1 naming the line."""
    config, _ = configured
    witness = config.parent / "witness.jsonl"
    public = str(config.parent / "checkpoint.pub.pem")
    assert run_cli(["witness", "verify", str(witness), "--public-key", public]).exit_code == 0

    unsigned = run_cli(["witness", "verify", str(witness)])
    assert unsigned.exit_code == 1
    assert "unauthenticated" in unsigned.stdout
    assert run_cli(["witness", "verify", str(witness), "--allow-unsigned"]).exit_code == 0

    line = orjson.loads(witness.read_bytes().splitlines()[0])
    line["count"] += 1
    altered = config.parent / "altered.jsonl"
    altered.write_bytes(witness.read_bytes() + orjson.dumps(line) + b"\n")
    result = run_cli(["witness", "verify", str(altered), "--public-key", public, "--json"])
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["problems"] == [
        f"line 2: the signature of the checkpoint of seq {line['seq']} does not verify: "
        "it was altered or forged"
    ]

    signer = checkpoint_signer(load_config(config))
    assert signer is not None
    fork = signer.sign(Checkpoint.from_dict({**line, "head_hash": "b" * 64}))
    forked = config.parent / "forked.jsonl"
    forked.write_bytes(witness.read_bytes() + fork.line())
    result = run_cli(["witness", "verify", str(forked), "--public-key", public, "--json"])
    assert result.exit_code == 1
    assert "rewritten between them" in orjson.loads(result.stdout)["problems"][0]


def test_world_readable_private_key_is_refused(configured: tuple[Path, Store]) -> None:
    """A private key file anyone can read is a configuration error naming the file."""
    config, _ = configured
    private = config.parent / "secrets" / "checkpoint.pem"
    os.chmod(private, 0o644)
    with pytest.raises(ConfigError, match="readable by everyone"):
        checkpoint_signer(load_config(config))


def test_a_removed_witness_file_fails_verification(configured: tuple[Path, Store]) -> None:
    """Checkpoints configured, entries present, the witness file gone: a problem, not a shrug."""
    config, _ = configured
    (config.parent / "witness.jsonl").unlink()
    code, report = _verify(config)
    assert code == 1
    assert report["problems"][0]["what"] == "witness"
    assert "holds no checkpoint, but the log has 5 entries" in report["problems"][0]["message"]


def test_a_prune_is_witnessed_and_the_rest_verifies(tmp_path: Path) -> None:
    """After `audit prune`, a fresh checkpoint covers the new head; an older witness copy whose
    checkpoint names a pruned entry is a warning, not a failure."""
    with open_store("sqlite", tmp_path) as store:
        old = AuditLog(KEY, clock=lambda: "2020-01-01T00:00:00.000000Z")
        with store.transaction() as conn:
            old.append(conn, [exchange(n) for n in range(4)])
        config = write_config(tmp_path, store.url, checkpoints=True)
        assert run_cli(["checkpoint", "--config", str(config)]).exit_code == 0
        stale = tmp_path / "stale.jsonl"
        stale.write_bytes((tmp_path / "witness.jsonl").read_bytes())
        write_entries(store, AuditLog(KEY), 2)
        pruned = run_cli(["prune", "--before", "2020-06-01", "--yes", "--config", str(config)])
        assert pruned.exit_code == 0, pruned.output
        code, report = _verify(config)
        assert code == 0, report["problems"]
        assert report["checkpoints"][0]["seq"] == report["last_seq"]
        text = config.read_text(encoding="utf-8").replace(
            "path: witness.jsonl", "path: stale.jsonl"
        )
        config.write_text(text, encoding="utf-8")
        code, report = _verify(config)
    assert code == 0, report["problems"]
    assert any("pruned since" in w for w in report["warnings"])


def test_unreachable_syslog_is_an_audit_error(tmp_path: Path) -> None:
    """No daemon on the socket: one AuditError naming the witness, nothing printed."""
    with pytest.raises(AuditError, match="syslog is not reachable"):
        SyslogWitness(str(tmp_path / "no-such-socket"), "authpriv").record(_checkpoint())


def test_keygen_never_replaces_a_private_key(tmp_path: Path) -> None:
    """keygen writes a 0600 private key and its public key; run again, it refuses."""
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    assert run_cli(["keygen", str(private), str(public)]).exit_code == 0
    assert (private.stat().st_mode & 0o777) == 0o600
    before = private.read_bytes()
    again = run_cli(["keygen", str(private), str(public)])
    assert isinstance(again.exception, ConfigError)
    assert "refusing to overwrite" in str(again.exception)
    assert private.read_bytes() == before
