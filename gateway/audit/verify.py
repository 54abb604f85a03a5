"""Recomputing the chain: what an auditor runs to trust the log.

Entries are read in ``seq`` order and each is checked three ways: its stored hash against the
hash recomputed from its columns (the entry was edited), its ``prev_hash`` against the previous
entry's hash (an entry was replaced or re-chained), and its ``seq`` against the previous one plus
one (an entry was deleted). With the audit key at hand, each entry's seal is checked as well,
which catches a chain rewritten from an edited entry onwards. The first entry must chain from the
genesis hash, or, after a prune, from the anchor that the latest prune checkpoint recorded. Every
problem is listed, not just the first, and a damaged entry is reported once rather than again for
each entry after it.

A live check also compares the key index with the digests the (verified) entries carry, so
``audit trace`` cannot be blinded by deleting index rows, and reports a missing or altered
append-only trigger as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Connection, select

from gateway.audit.events import Kind
from gateway.audit.guard import guard_problems
from gateway.audit.hashing import GENESIS, canonical_row, entry_hash
from gateway.audit.keys import Sealer
from gateway.errors import AuditError
from gateway.store import schema
from gateway.store.key_index import entry_pairs, index_pairs

# Entries compared at a time: a full pull's entry carries 2,000 digests, so 200 entries
# hold at most 400,000 in memory.
_INDEX_CHUNK = 200


class What(StrEnum):
    ENTRY_HASH = "entry_hash"
    SEAL = "seal"
    PREV_HASH = "prev_hash"
    GAP = "gap"
    ANCHOR = "anchor"
    FORMAT = "format"
    INDEX = "index"
    EXPORT = "export"
    WITNESS = "witness"
    CHECKPOINT = "checkpoint"
    KEY = "key"


@dataclass(frozen=True)
class Problem:
    seq: int | None
    what: What
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "what": self.what.value, "message": self.message}


@dataclass
class VerifyReport:
    count: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_hash: str | None = None
    starts_from: str | None = None
    seals_checked: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    witnessed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def sort(self) -> None:
        """Problems in chain order, each once; those not tied to one entry (file, key) first."""
        self.problems = sorted(dict.fromkeys(self.problems), key=lambda p: p.seq or 0)

    def as_dict(self) -> dict[str, Any]:
        first = self.first_problem
        return {
            "ok": self.ok,
            "count": self.count,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "head_hash": self.head_hash,
            "starts_from": self.starts_from,
            "seals_checked": self.seals_checked,
            "first_bad_seq": first.seq if first else None,
            "problems": [p.as_dict() for p in self.problems],
            "warnings": self.warnings,
            "checkpoints": self.witnessed,
        }


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    pruned_through: int
    anchor_hash: str


class ChainWalker:
    """Checks entries fed in ``seq`` order; the start of the chain is checked by the caller."""

    def __init__(self, report: VerifyReport, sealer: Sealer | None = None) -> None:
        self.report = report
        self.sealer = sealer
        report.seals_checked = sealer is not None
        self.first_prev: str | None = None
        self.checkpoint: Checkpoint | None = None
        self._prev_seq: int | None = None
        self._prev_hash: str | None = None

    def _problem(self, seq: int | None, what: What, message: str) -> None:
        self.report.problems.append(Problem(seq, what, message))

    def feed(self, raw: Mapping[Any, Any]) -> None:
        try:
            seq = int(raw["seq"])
        except (KeyError, TypeError, ValueError):
            self._problem(None, What.FORMAT, "an entry has no readable seq")
            return
        report = self.report
        report.count += 1
        if report.first_seq is None:
            report.first_seq = seq
            self.first_prev = str(raw["prev_hash"])
        try:
            row = canonical_row(raw)
            recomputed = entry_hash(row)
        except (AuditError, ValueError, TypeError) as exc:
            self._problem(seq, What.FORMAT, f"entry {seq} cannot be read as an entry ({exc})")
        else:
            if recomputed != row["entry_hash"]:
                self._problem(
                    seq,
                    What.ENTRY_HASH,
                    f"entry {seq} does not match its hash (stored {row['entry_hash']}, "
                    f"recomputed {recomputed}): its content was changed",
                )
            if self.sealer is not None and not self.sealer.check(row["entry_hash"], row["seal"]):
                self._problem(
                    seq,
                    What.SEAL,
                    f"entry {seq} is not sealed by this gateway's audit key: it was written "
                    "or rewritten by someone else",
                )
            if row["kind"] == Kind.PRUNE_CHECKPOINT:
                self._note_checkpoint(seq, row["detail"])
        if self._prev_seq is not None:
            if seq != self._prev_seq + 1:
                missing = f"{self._prev_seq + 1}..{seq - 1}"
                self._problem(seq, What.GAP, f"entries {missing} are missing before entry {seq}")
            elif raw["prev_hash"] != self._prev_hash:
                self._problem(
                    seq,
                    What.PREV_HASH,
                    f"entry {seq} chains from {raw['prev_hash']}, but entry {self._prev_seq} "
                    f"has hash {self._prev_hash}: one of them was replaced",
                )
        self._prev_seq, self._prev_hash = seq, str(raw["entry_hash"])
        report.last_seq, report.head_hash = seq, self._prev_hash

    def _note_checkpoint(self, seq: int, detail: str | None) -> None:
        try:
            data = orjson.loads(detail or "")
            self.checkpoint = Checkpoint(seq, int(data["pruned_through"]), str(data["anchor_hash"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            self._problem(seq, What.FORMAT, f"prune checkpoint {seq} has no readable anchor")

    def check_start(self) -> None:
        """The first entry chains from genesis, or from the latest prune checkpoint's anchor."""
        first, report = self.report.first_seq, self.report
        if first is None:
            return
        checkpoint = self.checkpoint
        if first == 1:
            expected = GENESIS
        elif checkpoint is not None and checkpoint.pruned_through == first - 1:
            expected = checkpoint.anchor_hash
        else:
            said = (
                f" (prune checkpoint {checkpoint.seq} accounts for entries up to "
                f"{checkpoint.pruned_through} only)"
                if checkpoint
                else ""
            )
            self._problem(
                first,
                What.ANCHOR,
                f"entries before {first} are missing and no prune accounts for them{said}",
            )
            return
        report.starts_from = expected
        if self.first_prev != expected:
            self._problem(
                first,
                What.ANCHOR,
                f"entry {first} chains from {self.first_prev}, expected {expected}",
            )


def _check_index(conn: Connection, report: VerifyReport) -> None:
    """Index rows for the verified seqs equal the digests those entries carry.

    Rows beyond the verified range are not judged: they may belong to entries appended since,
    and one pointing at no entry cannot add anything to a trace (each hit is confirmed).
    """
    if report.first_seq is None or report.last_seq is None:
        return
    log = schema.audit_log
    for low in range(report.first_seq, report.last_seq + 1, _INDEX_CHUNK):
        high = min(low + _INDEX_CHUNK - 1, report.last_seq)
        expected: set[tuple[int, str, int]] = set()
        for seq, digests in conn.execute(
            select(log.c.seq, log.c.key_digests).where(log.c.seq.between(low, high))
        ):
            expected |= entry_pairs(int(seq), orjson.loads(digests))
        actual = index_pairs(conn, low, high)
        if expected != actual:
            bad = min(seq for _bucket, _digest, seq in expected ^ actual)
            missing, extra = len(expected - actual), len(actual - expected)
            report.problems.append(
                Problem(
                    bad,
                    What.INDEX,
                    f"the key index disagrees with entry {bad} and later "
                    f"({missing} digests missing, {extra} unexpected)",
                )
            )
            return


def collapse_foreign_seals(report: VerifyReport, key_id: str) -> None:
    """No entry sealed by the configured key: say once that the key is wrong, not per entry."""
    seals = [p for p in report.problems if p.what is What.SEAL]
    if report.count < 2 or len(seals) < report.count:
        return
    report.problems = [p for p in report.problems if p.what is not What.SEAL]
    report.problems.append(
        Problem(
            None,
            What.KEY,
            f"the configured key does not match this log's seals (key id {key_id}): no entry "
            "is sealed by it; check audit.key, or the whole log was rewritten",
        )
    )


def walk(
    rows: Iterable[Mapping[Any, Any]], report: VerifyReport, sealer: Sealer | None = None
) -> ChainWalker:
    walker = ChainWalker(report, sealer)
    for row in rows:
        walker.feed(row)
    return walker


def verify_chain(
    conn: Connection, *, sealer: Sealer | None = None, check_index: bool = True
) -> VerifyReport:
    """Recompute every hash in ``seq`` order; see the module docstring for what is checked.

    With ``sealer`` (from the audit key) every entry's seal is checked too.
    """
    report = VerifyReport()
    query = select(schema.audit_log).order_by(schema.audit_log.c.seq)
    rows = conn.execute(query.execution_options(yield_per=1000)).mappings()
    walk(rows, report, sealer).check_start()
    if sealer is not None:
        collapse_foreign_seals(report, sealer.key_id)
    if check_index:
        _check_index(conn, report)
    report.warnings.extend(f"append-only guard: {p}" for p in guard_problems(conn))
    report.sort()
    return report
