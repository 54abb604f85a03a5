"""Exports stand alone: both verifiers (ours and tools/verify_export.py) catch every tampering.

The export is made by ``gateway audit export`` with a checkpoint key configured, after a
checkpoint of seq 2; it carries that checkpoint and one of its head (signed at export time).
Each tampered copy is checked with the public key alone, by ``gateway audit verify --export``
and by the independent verifier, run as a separate process the way an auditor would run it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.audit import AuditLog
from gateway.audit.export import file_sha256, manifest_path
from gateway.audit.signing import generate_key_pair
from gateway.store import Store
from tests.helpers.audit import ID_A, KEY, exchange, run_cli, write_config
from tests.helpers.paths import ROOT
from tests.helpers.pg import open_store

TOOL = ROOT / "tools" / "verify_export.py"


def _append(store: Store, ts: str, *numbers: int) -> None:
    log = AuditLog(KEY, clock=lambda: ts)
    with store.transaction() as conn:
        log.append(conn, [exchange(n, [ID_A] if n % 2 else []) for n in numbers])


@pytest.fixture
def exported(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """An export of seqs 1-6 (checkpoints of seq 2 and 6 inside) and the public key."""
    with open_store("sqlite", tmp_path) as store:
        config = write_config(tmp_path, store.url, checkpoints=True)
        _append(store, "2025-03-01T10:00:00.000000Z", 1, 2)
        assert run_cli(["checkpoint", "--config", str(config)]).exit_code == 0
        _append(store, "2025-03-02T10:00:00.000000Z", 3, 4, 5)
        _append(store, "2025-03-03T10:00:00.000000Z", 6)
        out = tmp_path / "export" / "audit.jsonl"
        made = run_cli(["export", str(out), "--until", "2030-01-01", "--config", str(config)])
        assert made.exit_code == 0, made.output
        yield out, tmp_path / "checkpoint.pub.pem"


def ours(out: Path, *args: str) -> tuple[int, str]:
    result = run_cli(["verify", "--export", str(out), "--json", *args])
    return result.exit_code, result.stdout


def theirs(out: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(TOOL), str(out), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=out.parent,
    )
    return done.returncode, done.stdout + done.stderr


VERIFIERS = [pytest.param(ours, id="gateway"), pytest.param(theirs, id="independent")]


def _lines(out: Path) -> list[bytes]:
    return out.read_bytes().splitlines(keepends=True)


def _manifest(out: Path) -> dict[str, Any]:
    return dict(orjson.loads(manifest_path(out).read_bytes()))


def _save(out: Path, manifest: dict[str, Any]) -> None:
    manifest_path(out).write_bytes(orjson.dumps(manifest))


def _rewrite(out: Path, lines: list[bytes], *, keep_signature: bool = True) -> None:
    """Write ``lines`` and make the manifest agree with them, as a careful forger would."""
    out.write_bytes(b"".join(lines))
    rows = [orjson.loads(line) for line in lines]
    manifest = _manifest(out)
    manifest.update(
        sha256=file_sha256(out),
        count=len(rows),
        first_seq=rows[0]["seq"],
        last_seq=rows[-1]["seq"],
        prev_hash=rows[0]["prev_hash"],
        last_hash=rows[-1]["entry_hash"],
    )
    if not keep_signature:
        manifest.pop("signature")
    _save(out, manifest)


def cut_newest(out: Path) -> None:
    _rewrite(out, _lines(out)[:-2])


def cut_oldest(out: Path) -> None:
    _rewrite(out, _lines(out)[2:])


def cut_newest_and_delete_the_signature(out: Path) -> None:
    _rewrite(out, _lines(out)[:-2], keep_signature=False)


def cut_oldest_drop_checkpoints_and_signature(out: Path) -> None:
    _rewrite(out, _lines(out)[2:], keep_signature=False)
    manifest = _manifest(out)
    manifest["checkpoints"] = []
    _save(out, manifest)


def change(field: str, value: Any) -> Callable[[Path], None]:
    def tamper(out: Path) -> None:
        manifest = _manifest(out)
        manifest[field] = value
        _save(out, manifest)

    return tamper


def swap(out: Path) -> None:
    lines = _lines(out)
    lines[2], lines[3] = lines[3], lines[2]
    out.write_bytes(b"".join(lines))


def edit(out: Path) -> None:
    out.write_bytes(out.read_bytes().replace(b"persons.list", b"persons.lisT", 1))


TAMPERS = [
    pytest.param(cut_newest, id="cut-newest"),
    pytest.param(cut_oldest, id="cut-oldest"),
    pytest.param(cut_newest_and_delete_the_signature, id="cut-newest-unsigned"),
    pytest.param(cut_oldest_drop_checkpoints_and_signature, id="cut-oldest-unsigned"),
    pytest.param(change("until", "2025-03-03T00:00:00.000000Z"), id="until"),
    pytest.param(change("exported_at", "2025-01-01T00:00:00.000000Z"), id="exported_at"),
    pytest.param(change("count", 5), id="count"),
    pytest.param(swap, id="swap"),
    pytest.param(edit, id="edit"),
]


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_untouched_export_passes_with_the_public_key_alone(
    exported: tuple[Path, Path], verifier: Callable[..., tuple[int, str]]
) -> None:
    """No configuration, no audit key: the public key is enough to authenticate the export."""
    out, public = exported
    manifest = _manifest(out)
    assert [c["seq"] for c in manifest["checkpoints"]] == [2, 6]
    assert manifest["signature"]["alg"] == "ed25519"
    code, output = verifier(out, "--public-key", str(public))
    assert code == 0, output


@pytest.mark.parametrize("tamper", TAMPERS)
@pytest.mark.parametrize("verifier", VERIFIERS)
def test_tampered_export_fails(
    exported: tuple[Path, Path],
    verifier: Callable[..., tuple[int, str]],
    tamper: Callable[[Path], None],
) -> None:
    """Every tampering of the copy or its manifest fails, checked with the public key alone."""
    out, public = exported
    tamper(out)
    code, output = verifier(out, "--public-key", str(public))
    assert code == 1, output


@pytest.mark.parametrize("tamper", [cut_newest, cut_oldest], ids=["newest", "oldest"])
@pytest.mark.parametrize("verifier", VERIFIERS)
def test_a_cut_end_is_caught_by_the_checkpoint_covering_it(
    exported: tuple[Path, Path],
    verifier: Callable[..., tuple[int, str]],
    tamper: Callable[[Path], None],
) -> None:
    """Even before the signature is looked at, the carried checkpoint names the cut end."""
    out, public = exported
    tamper(out)
    code, output = verifier(out, "--public-key", str(public))
    assert code == 1
    assert "were cut" in output


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_without_a_key_the_export_is_unauthenticated(
    exported: tuple[Path, Path], verifier: Callable[..., tuple[int, str]]
) -> None:
    """No key at hand: exit 1 saying "unauthenticated", unless --allow-unsigned is given."""
    out, _ = exported
    code, output = verifier(out)
    assert code == 1
    assert "unauthenticated" in output
    assert verifier(out, "--allow-unsigned")[0] == 0


def test_a_wrong_public_key_is_named_once(exported: tuple[Path, Path], tmp_path: Path) -> None:
    """Another key pair's public key: one problem naming both key ids, not one per checkpoint."""
    out, _ = exported
    key_id = generate_key_pair(tmp_path / "other.pem", tmp_path / "other.pub.pem")
    code, output = ours(out, "--public-key", str(tmp_path / "other.pub.pem"))
    assert code == 1
    problems = orjson.loads(output)["problems"]
    mismatch = [p for p in problems if "does not match this log's checkpoints" in p["message"]]
    assert len(mismatch) == 1, problems
    assert f"key id {key_id}" in mismatch[0]["message"]
    assert all(p["what"] == "key" for p in problems)


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_a_csv_export_verifies_and_an_edited_one_does_not(
    exported: tuple[Path, Path], verifier: Callable[..., tuple[int, str]]
) -> None:
    """The CSV form: the untouched copy passes with the public key, one changed cell fails."""
    out, public = exported
    csv_out = out.with_name("audit.csv")
    config = out.parent.parent / "gateway.yaml"
    made = run_cli(["export", str(csv_out), "--format", "csv", "--config", str(config)])
    assert made.exit_code == 0, made.output
    assert verifier(csv_out, "--public-key", str(public))[0] == 0
    csv_out.write_text(csv_out.read_text(encoding="utf-8").replace(",200,", ",500,", 1))
    code, output = verifier(csv_out, "--public-key", str(public))
    assert code == 1, output
