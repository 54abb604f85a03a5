"""Writing checkpoints to the witnesses, and holding the store against what they signed.

The gateway signs one at every run's end and every ``interval_seconds`` during a run (after a
batch commits, so the head it signs is durable). A witness that cannot take a checkpoint is
logged and skipped: the run's data is already committed and the next checkpoint covers it too.

``audit verify`` reads every readable witness's latest checkpoint, checks its signature with the
public key, and fails when the store ends before it (the newest entries were removed) or when
entry ``seq`` of the store has another hash (the log was rewritten up to there).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from gateway.audit.hashing import GENESIS
from gateway.audit.keys import Sealer
from gateway.audit.signing import (
    Checkpoint,
    CheckpointSigner,
    CheckpointVerifier,
    key_mismatch,
)
from gateway.audit.verify import Problem, VerifyReport, What, verify_chain
from gateway.audit.witnesses import FileWitness, Witness, read_lines
from gateway.clock import utc_now_iso
from gateway.errors import AuditError
from gateway.logging import get_logger
from gateway.store import Store, schema

log = get_logger("gateway.audit")


def head_state(conn: Connection) -> tuple[int, str, int]:
    """The head's seq and hash and the number of entries held; ``(0, GENESIS, 0)`` if empty."""
    table = schema.audit_log
    row = conn.execute(
        select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1)
    ).first()
    count = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return (0, GENESIS, 0) if row is None else (int(row[0]), str(row[1]), count)


@dataclass
class Written:
    checkpoint: Checkpoint
    failures: list[tuple[str, str]]


class Checkpointer:
    """Signs the store's head and hands the checkpoint to every witness."""

    def __init__(
        self,
        signer: CheckpointSigner,
        witnesses: Sequence[Witness],
        *,
        instance: str,
        seal_key_id: str | None,
        interval_seconds: float,
        clock: Callable[[], str] = utc_now_iso,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.signer = signer
        self.witnesses = list(witnesses)
        self.instance = instance
        self.seal_key_id = seal_key_id
        self.interval = interval_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._last = monotonic()

    def sign_head(self, conn: Connection) -> Checkpoint:
        seq, head, count = head_state(conn)
        draft = Checkpoint(
            seq=seq,
            head_hash=head,
            count=count,
            time=self._clock(),
            instance=self.instance,
            key_id=self.signer.key_id,
            seal_key_id=self.seal_key_id,
        )
        return self.signer.sign(draft)

    def checkpoint(self, store: Store) -> Written:
        """Sign the committed head now and give it to every witness; which ones failed, why."""
        with store.connect() as conn:
            signed = self.sign_head(conn)
        self._last = self._monotonic()
        failures: list[tuple[str, str]] = []
        for witness in self.witnesses:
            try:
                witness.record(signed)
            except AuditError as exc:
                failures.append((witness.name, str(exc)))
                log.error("checkpoint not witnessed", witness=witness.name, error=str(exc))
        log.info("audit checkpoint", seq=signed.seq, head_hash=signed.head_hash)
        return Written(signed, failures)

    def maybe(self, store: Store) -> None:
        """A checkpoint if ``interval_seconds`` passed since the last one."""
        if self._monotonic() - self._last >= self.interval:
            self.checkpoint(store)


@dataclass(frozen=True)
class WitnessView:
    name: str
    checkpoint: Checkpoint | None
    error: str | None = None


def read_witnesses(witnesses: Sequence[Witness]) -> list[WitnessView]:
    views = []
    for witness in witnesses:
        if not witness.readable:
            views.append(WitnessView(witness.name, None, "write-only"))
            continue
        try:
            views.append(WitnessView(witness.name, witness.latest()))
        except AuditError as exc:
            views.append(WitnessView(witness.name, None, str(exc)))
    return views


def key_problems(
    views: Sequence[WitnessView],
    verifier: CheckpointVerifier | None,
    seal_id: str | None,
) -> tuple[list[Problem], bool]:
    """One problem per key that does not match the checkpoints; whether the seal key matches."""
    problems: list[Problem] = []
    seal_ok = True
    signed_by = {v.checkpoint.key_id for v in views if v.checkpoint is not None}
    sealed_by = {
        v.checkpoint.seal_key_id
        for v in views
        if v.checkpoint is not None and v.checkpoint.seal_key_id is not None
    }
    if verifier is not None and signed_by and verifier.key_id not in signed_by:
        problems.append(
            Problem(None, What.KEY, key_mismatch(verifier.key_id, ", ".join(sorted(signed_by))))
        )
    if seal_id is not None and sealed_by and seal_id not in sealed_by:
        seal_ok = False
        problems.append(
            Problem(None, What.KEY, key_mismatch(seal_id, ", ".join(sorted(sealed_by))))
        )
    return problems, seal_ok


def compare(
    conn: Connection,
    report: VerifyReport,
    views: Sequence[WitnessView],
    verifier: CheckpointVerifier | None,
) -> None:
    """The store against each witness's latest checkpoint; problems and warnings into report."""
    for view in views:
        cp = view.checkpoint
        if cp is None:
            if view.error == "write-only":
                report.warnings.append(f"witness {view.name} is write-only: not compared")
            elif view.error:
                report.problems.append(
                    Problem(None, What.WITNESS, f"witness {view.name}: {view.error}")
                )
            elif report.count and verifier is not None:
                # Checkpoints are configured and entries exist, so a checkpoint was due.
                report.problems.append(
                    Problem(
                        None,
                        What.WITNESS,
                        f"witness {view.name} holds no checkpoint, but the log has "
                        f"{report.count} entries: it was emptied or removed, or no checkpoint "
                        "was ever written (gateway audit checkpoint writes one)",
                    )
                )
            else:
                report.warnings.append(f"witness {view.name} holds no checkpoint yet")
            continue
        said = f"witness {view.name}: its latest checkpoint ({cp.describe()}, {cp.time})"
        if verifier is None:
            report.warnings.append(f"witness {view.name}: signature not checked (no public key)")
        elif verifier.key_id == cp.key_id and not verifier.check(cp):
            report.problems.append(
                Problem(None, What.WITNESS, f"{said} has an invalid signature: it was altered")
            )
            continue
        report.witnessed.append({"witness": view.name, **cp.as_dict()})
        if cp.seq == 0:
            continue
        stored = conn.execute(
            select(schema.audit_log.c.entry_hash).where(schema.audit_log.c.seq == cp.seq)
        ).scalar()
        last = report.last_seq or 0
        if stored is None and report.first_seq is not None and cp.seq < report.first_seq:
            report.warnings.append(
                f"{said} names an entry pruned since: not compared; write a new checkpoint"
            )
        elif last < cp.seq:
            report.problems.append(
                Problem(
                    last + 1,
                    What.WITNESS,
                    f"{said} expects entry {cp.seq} with head {cp.head_hash} and count "
                    f"{cp.count}, but the store ends at seq {last}: entries "
                    f"{last + 1}..{cp.seq} were removed",
                )
            )
        elif stored != cp.head_hash:
            report.problems.append(
                Problem(
                    cp.seq,
                    What.WITNESS,
                    f"{said} expects head {cp.head_hash} (count {cp.count}) at entry {cp.seq}, "
                    f"the store has {stored}: the log up to entry {cp.seq} was rewritten",
                )
            )
        else:
            newer = last - cp.seq
            if newer:
                report.warnings.append(
                    f"{newer} entries after seq {cp.seq} are not yet covered by a checkpoint "
                    f"of witness {view.name}"
                )


def verify_log(
    conn: Connection,
    *,
    sealer: Sealer | None,
    verifier: CheckpointVerifier | None,
    witnesses: Sequence[Witness],
) -> VerifyReport:
    """The chain (:func:`verify_chain`) and the store against every witness.

    Witnesses are read before the store, so a checkpoint signed meanwhile is never newer than
    the snapshot it is compared with.
    """
    views = read_witnesses(witnesses)
    problems, seal_ok = key_problems(views, verifier, sealer.key_id if sealer else None)
    report = verify_chain(conn, sealer=sealer if seal_ok else None)
    compare(conn, report, views, verifier)
    report.problems.extend(problems)
    if not witnesses:
        report.warnings.append(
            "no witness is configured (audit.witnesses): a log cut at its end goes unnoticed"
        )
    report.sort()
    return report


def witnessed_checkpoints(witnesses: Sequence[Witness]) -> list[Checkpoint]:
    """Every checkpoint the readable witnesses hold (all lines of a file, the latest of others)."""
    found: list[Checkpoint] = []
    for witness in witnesses:
        try:
            if isinstance(witness, FileWitness):
                if witness.path.exists():
                    found += [ln.checkpoint for ln in read_lines(witness.path) if ln.checkpoint]
            elif witness.readable and (latest := witness.latest()) is not None:
                found.append(latest)
        except AuditError as exc:
            log.warning("witness not read", witness=witness.name, error=str(exc))
    return found
