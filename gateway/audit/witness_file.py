"""Checking a witness file on its own: every line a checkpoint, every signature good, no fork.

Two checkpoints of the same seq must name the same head: a log can grow, never change its past.
Lines may arrive slightly out of order when several instances share one witness, so a smaller
seq after a larger one is not a problem by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.audit.signing import Checkpoint, CheckpointVerifier, key_mismatch
from gateway.audit.witnesses import read_lines


@dataclass
class WitnessFileReport:
    path: str
    checkpoints: int = 0
    latest: Checkpoint | None = None
    signatures_checked: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "path": self.path,
            "checkpoints": self.checkpoints,
            "latest": self.latest.as_dict() if self.latest else None,
            "signatures_checked": self.signatures_checked,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def verify_witness_file(
    path: Path, verifier: CheckpointVerifier | None, *, allow_unsigned: bool = False
) -> WitnessFileReport:
    report = WitnessFileReport(str(path), signatures_checked=verifier is not None)
    heads: dict[int, tuple[str, int]] = {}
    foreign: set[str] = set()
    for line in read_lines(path):
        cp = line.checkpoint
        if cp is None:
            report.problems.append(f"line {line.number} is not a checkpoint ({line.error})")
            continue
        report.checkpoints += 1
        if verifier is not None:
            if cp.key_id != verifier.key_id:
                foreign.add(cp.key_id)
            elif not verifier.check(cp):
                report.problems.append(
                    f"line {line.number}: the signature of the checkpoint of seq {cp.seq} "
                    "does not verify: it was altered or forged"
                )
        seen = heads.get(cp.seq)
        if seen is not None and seen[0] != cp.head_hash:
            report.problems.append(
                f"line {line.number}: seq {cp.seq} has head {cp.head_hash}, line {seen[1]} "
                f"said {seen[0]}: the log was rewritten between them"
            )
        heads.setdefault(cp.seq, (cp.head_hash, line.number))
        if report.latest is None or cp.seq >= report.latest.seq:
            report.latest = cp
    if foreign and verifier is not None:
        report.problems.append(key_mismatch(verifier.key_id, ", ".join(sorted(foreign))))
    if verifier is None:
        message = "unauthenticated: no public key, the signatures were not checked"
        (report.warnings if allow_unsigned else report.problems).append(message)
    return report
