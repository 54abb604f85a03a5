"""docs/audit-format.md's worked examples are the output of the code, regenerated and compared.

The examples come from a real log: two exchanges appended through ``AuditLog`` into an SQLite
store, a checkpoint signed by ``Checkpointer``, an export made by ``export_entries``. The clock
and the keys are fixed so the bytes are the same on every run. ``GATEWAY_REGENERATE_DOCS=1``
rewrites the section instead of comparing it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.adapter import Direction, Exchange
from gateway.audit import AuditEvent, AuditLog, MappingRef, export_entries
from gateway.audit.checkpoints import Checkpointer
from gateway.audit.export import manifest_message, manifest_path
from gateway.audit.hashing import canonical_bytes
from gateway.audit.keys import Sealer
from gateway.audit.signing import CheckpointSigner, public_pem, seal_key_id
from gateway.store import Store, schema
from tests.helpers.paths import ROOT

DOC = ROOT / "docs" / "audit-format.md"
TOOL = ROOT / "tools" / "verify_export.py"
BEGIN = "<!-- BEGIN GENERATED EXAMPLES: tests/audit/test_audit_format_doc.py -->"
END = "<!-- END GENERATED EXAMPLES -->"
# Example keys, published here on purpose: never use them for a real log.
AUDIT_KEY = b"example-audit-key-0123456789"
PRIVATE_SEED = hashlib.sha256(b"docs/audit-format.md example checkpoint key").digest()
TIME = "2025-03-03T02:15:07.123456Z"


def _exchanges() -> list[AuditEvent]:
    mapping = MappingRef("service_network.cases.pull", 2, "7" * 64)
    first = Exchange(
        platform="service_network",
        direction=Direction.PULL,
        operation="cases.list",
        endpoint="https://zwfw.example/api/v1/cases?page=1&sign=[secret]",
        http_status=200,
        business_code="0",
        duration_ms=41.25,
        request_body=b'{"page":1}',
        response_body='{"code":"0","msg":"成功"}'.encode(),
        record_keys=["520102199001011256"],
    )
    second = Exchange(
        platform="service_network",
        direction=Direction.PUSH,
        operation="case_events.push",
        endpoint="https://zwfw.example/api/v1/case-events",
        http_status=200,
        business_code="0",
        duration_ms=18.5,
        request_body=b'{"caseNo":"SN2025030300001","event":"accepted"}',
        response_body='{"code":"0","msg":"成功"}'.encode(),
        record_keys=["SN2025030300001"],
        detail="办件已受理",
    )
    return [
        AuditEvent.from_exchange(ex, run_id="run-2025-0303-01", job=job, mapping=mapping)
        for ex, job in ((first, "sn-cases"), (second, "sn-case-events"))
    ]


def _block(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text}\n```"


def _hex(data: bytes) -> str:
    return "\n".join(textwrap.wrap(data.hex(), 64))


def generate(directory: Path) -> str:
    """The examples section, from a log written and exported in ``directory``."""
    store = Store(f"sqlite:///{directory / 'example.db'}")
    try:
        with store.transaction() as conn:
            AuditLog(AUDIT_KEY, clock=lambda: TIME).append(conn, _exchanges())
        private = Ed25519PrivateKey.from_private_bytes(PRIVATE_SEED)
        signer = CheckpointSigner(private)
        checkpointer = Checkpointer(
            signer,
            [],
            instance="gateway-01",
            seal_key_id=seal_key_id(AUDIT_KEY),
            interval_seconds=300,
            clock=lambda: TIME,
        )
        checkpoint = checkpointer.checkpoint(store).checkpoint
        out = directory / "audit-2025-03.jsonl"
        with store.connect() as conn:
            entry = dict(
                conn.execute(schema.audit_log.select().where(schema.audit_log.c.seq == 2))
                .mappings()
                .one()
            )
            export_entries(
                conn,
                out,
                "jsonl",
                signing_key=AUDIT_KEY,
                signer=signer,
                checkpoints=[checkpoint],
                clock=lambda: "2025-03-03T03:00:00.000000Z",
            )
    finally:
        store.close()
    line = out.read_bytes().splitlines()[1].decode()
    canonical = canonical_bytes(entry)
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    manifest = orjson.loads(manifest_path(out).read_bytes())
    sections = [
        BEGIN,
        "### A.1 The public key",
        "The checkpoint public key an auditor is given (PEM, SubjectPublicKeyInfo):",
        _block(public_pem(private.public_key()).decode().strip()),
        "Its raw 32 bytes, and the key id (first 16 hex digits of their SHA-256):",
        _block(f"{raw_public.hex()}\nkey id {signer.key_id}"),
        "### A.2 An entry",
        "Entry 2 as one line of a JSONL export:",
        _block(line, "json"),
        "Its canonical form (§2), as text and as the hex of its UTF-8 bytes:",
        _block(canonical.decode(), "json"),
        _block(_hex(canonical)),
        "SHA-256 of those bytes, the entry's `entry_hash`; and its `seal` under the example "
        f"audit key `{AUDIT_KEY.decode()}` (§4), whose key id is `{seal_key_id(AUDIT_KEY)}`:",
        _block(
            f"entry_hash {hashlib.sha256(canonical).hexdigest()}\n"
            f"seal       {Sealer(AUDIT_KEY).seal(hashlib.sha256(canonical).hexdigest())}"
        ),
        "### A.3 A signed checkpoint",
        "The checkpoint of the head (entry 2), as one line of a witness file:",
        _block(checkpoint.line().decode().strip(), "json"),
        "The bytes its signature covers (§5: the prefix line, then the canonical JSON of every "
        "field but `signature`), in hex:",
        _block(_hex(checkpoint.message())),
        "### A.4 The export's manifest",
        "`audit-2025-03.jsonl.manifest.json` (shown with sorted keys and indented; the "
        "signature covers the canonical form, §7):",
        _block(orjson.dumps(manifest, option=orjson.OPT_INDENT_2).decode(), "json"),
        "SHA-256 of the bytes the manifest's signature covers:",
        _block(hashlib.sha256(manifest_message(manifest)).hexdigest()),
        END,
    ]
    return "\n\n".join(sections)


def test_worked_examples_match_the_code(tmp_path: Path) -> None:
    """The examples section of docs/audit-format.md equals what the code produces today."""
    generated = generate(tmp_path)
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    if os.environ.get("GATEWAY_REGENERATE_DOCS") == "1":
        DOC.write_text(text[:start] + generated + text[end:], encoding="utf-8")
        return
    assert text[start:end] == generated, (
        "docs/audit-format.md's examples are stale: run "
        "GATEWAY_REGENERATE_DOCS=1 pytest tests/audit/test_audit_format_doc.py"
    )


def test_the_example_export_passes_the_independent_verifier(tmp_path: Path) -> None:
    """The export the examples come from verifies with the example public key alone."""
    generate(tmp_path)
    private = Ed25519PrivateKey.from_private_bytes(PRIVATE_SEED)
    public = tmp_path / "example.pub.pem"
    public.write_bytes(public_pem(private.public_key()))
    done = subprocess.run(
        [
            sys.executable,
            str(TOOL),
            str(tmp_path / "audit-2025-03.jsonl"),
            "--public-key",
            str(public),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
