"""The payload archive keeps exact bodies that match the digests the chain vouches for."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.audit import AuditLog, PayloadArchive
from gateway.errors import AuditError
from gateway.store import schema
from tests.helpers.audit import ID_A, KEY, exchange
from tests.helpers.pg import open_store

BODY = f'{{"AAC002": "{ID_A}", "AAC003": "张三", "page": 1}}'.encode()


def test_append_archives_bodies_under_their_digest(tmp_path: Path) -> None:
    """Request and response bodies land in ROOT/ab/<sha256>.gz and read back byte for byte."""
    log = AuditLog(KEY, archive_dir=tmp_path / "archive")
    assert log.archive is not None
    with open_store("sqlite", tmp_path) as store:
        with store.transaction() as conn:
            log.append(conn, [exchange(1, body=BODY)])
        with store.connect() as conn:
            row = conn.execute(select(schema.audit_log)).mappings().one()
    request_digest = str(row["request_digest"])
    assert request_digest == hashlib.sha256(BODY).hexdigest()
    path = tmp_path / "archive" / request_digest[:2] / f"{request_digest}.gz"
    assert gzip.decompress(path.read_bytes()) == BODY
    assert log.archive.get(request_digest) == BODY
    response = log.archive.get(str(row["response_digest"]))
    assert hashlib.sha256(response).hexdigest() == row["response_digest"]


def test_same_body_is_stored_once(tmp_path: Path) -> None:
    """Archiving a body twice leaves one file and answers the same digest."""
    archive = PayloadArchive(tmp_path)
    assert archive.put(BODY) == archive.put(BODY)
    assert len(list(tmp_path.rglob("*.gz"))) == 1
    assert archive.put(b"") is None


def test_damaged_or_missing_payload_is_an_audit_error(tmp_path: Path) -> None:
    """A file whose content no longer matches its digest, or is gone, is refused."""
    archive = PayloadArchive(tmp_path)
    digest = archive.put(BODY)
    assert digest is not None
    archive.path_for(digest).write_bytes(gzip.compress(BODY.replace(b"1}", b"2}")))
    with pytest.raises(AuditError, match="does not match"):
        archive.get(digest)
    assert archive.remove([digest]) == 1
    with pytest.raises(AuditError, match="not in the archive"):
        archive.get(digest)


def test_digest_from_the_database_cannot_name_a_path_outside(tmp_path: Path) -> None:
    """Only a 64-hex digest becomes a path: no traversal through a forged column."""
    with pytest.raises(AuditError):
        PayloadArchive(tmp_path).path_for("../../etc/passwd")
