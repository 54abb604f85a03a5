"""Replaying dead letters through the CURRENT mapping file of their job.

The usual story: a platform starts sending a code value the mapping does not know, records land
in the dead-letter queue, an integrator adds the value to the mapping file, an operator runs
``gateway dlq replay``. For a pull job each open letter's raw input is mapped again:

- it maps now → its record is upserted into the store (the same payload and content hash a
  fresh read would give), the letter becomes ``replayed``;
- it still fails → it stays ``open`` with ``attempts + 1`` and this attempt's reasons;
- the store already holds a version of the record written after the letter was filed (the
  source sent a newer, valid version meanwhile) → replaying would bring back stale data, so the
  letter is ``discarded`` with a note saying it was superseded.

Push-job letters are sent to the platform again (:mod:`gateway.pipeline.replay_push`). Each
chunk's store writes, letter changes and audit entries commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

import orjson
from sqlalchemy import Connection, select

from gateway.adapter import MALFORMED
from gateway.config import GatewayConfig
from gateway.errors import StoreError
from gateway.logging import get_logger
from gateway.mapping import CompiledMapping, FieldIssue
from gateway.pipeline.context import content_hash
from gateway.pipeline.replay_push import PushReplay
from gateway.pipeline.replay_session import ChunkOutcome, ReplayResult, ReplaySession, known_key
from gateway.pipeline.reread import is_whole_input, reread
from gateway.pipeline.runner import JobRunner
from gateway.reconcile.digest import record_digest
from gateway.store import Store, schema
from gateway.store.dlq import OPEN, Letter, list_letters
from gateway.store.records import RecordRow, stored_key, upsert_records

# ReplayResult and known_key live in the leaf module and are re-exported for the dlq commands.
__all__ = ["CHUNK", "ReplayResult", "Replayer", "changed_after", "known_key"]

log = get_logger("gateway.dlq")
CHUNK = 500


class Replayer(ReplaySession):
    """Replays open dead letters: pull letters here, push letters through :class:`PushReplay`."""

    def __init__(self, config: GatewayConfig, store: Store) -> None:
        super().__init__(config, store)
        self.runner = JobRunner(config, store)

    def replay(
        self, job: str | None = None, ids: Sequence[int] | None = None
    ) -> list[ReplayResult]:
        """Replay the open letters of ``job`` (or of every job), or only ``ids``."""
        if job is not None:
            self.config.job(job)
        with self.store.connect() as conn:
            letters = list_letters(conn, job=job, status=OPEN, ids=ids)
        if ids:
            missing = sorted(set(ids) - {letter.id for letter in letters})
            if missing:
                raise StoreError(
                    "dead letters not found or not open", ids=",".join(map(str, missing))
                )
        results = []
        for name, group in groupby(sorted(letters, key=lambda x: (x.job, x.id)), lambda x: x.job):
            if name not in self.config.jobs:
                # A job removed from the configuration has no current mapping to replay with;
                # its letters stay open and are reported, the other jobs' letters go ahead.
                results.append(ReplayResult(name, not_configured=len(list(group))))
                continue
            results.append(self.replay_job(name, list(group)))
        self.runner.checkpoint()
        return results

    def replay_job(self, job_name: str, letters: list[Letter]) -> ReplayResult:
        job = self.config.job(job_name)
        mapping = self.runner.mapping_for(job_name)
        result = ReplayResult(job_name)
        if job.is_pull:
            whole = [letter for letter in letters if is_whole_input(letter)]
            letters = [letter for letter in letters if not is_whole_input(letter)]
            for start in range(0, len(letters), CHUNK):
                chunk = letters[start : start + CHUNK]
                self._commit_pull(job_name, mapping, self._map_chunk(mapping, chunk), result)
            if whole:
                again = reread(self.runner, job_name, whole)
                result.reread_run = again.run.run_id
                result.replayed += again.replayed
                result.still_failing += again.still_failing
                result.superseded += again.superseded
        else:
            PushReplay(self, job_name, mapping).replay(letters, result)
        log.info(
            "dead letters replayed",
            job=job_name,
            mapping=mapping.name,
            replayed=len(result.replayed),
            still_failing=len(result.still_failing),
            superseded=len(result.superseded),
        )
        return result

    def _map_chunk(self, mapping: CompiledMapping, letters: list[Letter]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        for letter in letters:
            raw = letter.raw
            if MALFORMED in raw:
                # The source could not parse it; no mapping change repairs that, an operator's
                # correction of the input does (gateway dlq amend), which removes the mark.
                outcome.failing.append((letter, letter.issues(), None))
                continue
            mapped = mapping.map(raw)
            if mapped.ok and mapped.record is not None and mapped.key is not None:
                payload = orjson.dumps(mapped.record, option=orjson.OPT_SORT_KEYS)
                row = RecordRow(
                    mapped.key, payload.decode(), content_hash(payload), record_digest(raw)
                )
                outcome.rows[letter.id] = row
                outcome.replayed.append((letter, mapped.key))
            else:
                reasons = mapped.errors or [FieldIssue("(record)", "no_key")]
                outcome.failing.append((letter, reasons, mapped.key))
        return outcome

    def _commit_pull(
        self, job: str, mapping: CompiledMapping, outcome: ChunkOutcome, result: ReplayResult
    ) -> None:
        with self.store.transaction() as conn:
            newer = changed_after(conn, mapping.entity, outcome.replayed)
            outcome.superseded = [letter for letter, _ in outcome.replayed if letter.id in newer]
            outcome.replayed = [pair for pair in outcome.replayed if pair[0].id not in newer]
            rows = [outcome.rows[letter.id] for letter, _ in outcome.replayed]
            upsert_records(conn, mapping.entity, rows, job)
            self.apply(conn, job, mapping, outcome, result)


def changed_after(
    conn: Connection, entity: str, candidates: Sequence[tuple[Letter, str | None]]
) -> set[int]:
    """Ids of letters whose record the store changed after the letter was filed."""
    by_key: dict[str, list[Letter]] = {}
    for letter, key in candidates:
        if key is not None:
            by_key.setdefault(stored_key(conn, entity, key), []).append(letter)
    table = schema.records
    found: set[int] = set()
    keys = list(by_key)
    for start in range(0, len(keys), 900):
        rows = conn.execute(
            select(table.c.key, table.c.last_changed).where(
                table.c.entity == entity, table.c.key.in_(keys[start : start + 900])
            )
        )
        for key, changed in rows:
            found.update(letter.id for letter in by_key[key] if changed > letter.created_at)
    return found
