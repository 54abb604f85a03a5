"""Replaying whole-input dead letters: the stream puts the input back, the job reads it again.

A letter for a whole file (or the rest of one) holds no records to map again. The operator fixes
the file where the letter says it is (``failed/``) or the job's options; ``gateway dlq replay``
then, under the job's lease, asks the job's stream to readmit each such input, saves the cursor
that forgets it with an ``operator_action`` audit entry in one transaction, and runs the job
once. Afterwards, per letter:

- the run filed no whole-input letter for the same source → ``replayed``: its rows are now in
  the store or the queue (as row letters of their own);
- the run filed one → either this same letter again (the run raised its attempts) or, when the
  fix changed the input, a new one, and this letter is ``discarded`` as superseded by it;
- the run did not finish (failed or interrupted), or did not take the input (a file not yet
  settled) → the letter stays open, attempts + 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.adapter import PullStream
from gateway.audit import dlq_discard_event, dlq_replay_event, operator_event
from gateway.errors import ConfigError
from gateway.pipeline.pull import UNREADABLE
from gateway.pipeline.runner import JobRunner, RunSummary
from gateway.service.leases import held_lease
from gateway.store.dlq import (
    OPEN,
    Letter,
    list_letters,
    mark_discarded,
    mark_replayed,
    mark_still_failing,
)

UNREADABLE_RULE = "(file):unreadable"


def is_whole_input(letter: Letter) -> bool:
    return UNREADABLE in letter.raw


@dataclass
class RereadOutcome:
    """What the re-read did, by letter id; ``run`` is the run that read the inputs again."""

    run: RunSummary
    replayed: list[int]
    still_failing: list[int]
    superseded: list[int]


def reread(runner: JobRunner, job_name: str, letters: Sequence[Letter]) -> RereadOutcome:
    """Readmit the inputs of ``letters`` (whole-input letters of one pull job) and read them."""
    store = runner.store
    stream = runner.stream(job_name)
    if not isinstance(stream, PullStream):
        raise ConfigError("whole-input letters belong to pull jobs", job=job_name)
    mapping = runner.mapping_for(job_name)
    lease_seconds = runner.config.service.lease_seconds
    with held_lease(store, runner.instance, job_name, lease_seconds, runner.stop):
        store.mark_abandoned_runs(job_name)
        ctx = runner.stream_context(job_name, "dlq-replay", mapping)
        cursor = store.load_checkpoint(job_name)
        for letter in letters:
            detail = letter.raw[UNREADABLE]
            if not isinstance(detail, dict):
                detail = {}
            cursor = stream.readmit(ctx, cursor, letter.source, detail)
        with store.transaction() as conn:
            store.save_checkpoint(conn, job_name, cursor, "dlq-replay")
            event = operator_event(
                job=job_name,
                action="dlq.reread",
                values={
                    "letters": [letter.id for letter in letters],
                    "inputs": [letter.source for letter in letters],
                },
            )
            runner.audit.append(conn, [event])
        summary = runner.run(job_name)
    waiting = {x.source for x in letters if stream.still_waiting(ctx, x.source)}
    return _settle(runner, job_name, letters, summary, waiting)


def _settle(
    runner: JobRunner,
    job_name: str,
    letters: Sequence[Letter],
    summary: RunSummary,
    waiting: set[str],
) -> RereadOutcome:
    outcome = RereadOutcome(summary, [], [], [])
    finished = summary.status in ("succeeded", "partial")
    with runner.store.transaction() as conn:
        refiled = {
            letter.source: letter
            for letter in list_letters(conn, job=job_name, status=OPEN, rule=UNREADABLE_RULE)
            if letter.run_id == summary.run_id
        }
        for letter in letters:
            again = refiled.get(letter.source)
            if again is not None and again.id == letter.id:
                outcome.still_failing.append(letter.id)  # the run raised its attempts
            elif again is not None:
                mark_discarded(conn, letter, f"superseded by dead letter {again.id}")
                outcome.superseded.append(letter.id)
            elif finished and letter.source not in waiting:
                mark_replayed(conn, letter, f"read again by run {summary.run_id}")
                outcome.replayed.append(letter.id)
            else:
                mark_still_failing(conn, letter, letter.issues())
                outcome.still_failing.append(letter.id)
        events = [
            dlq_replay_event(
                job=job_name,
                letter_ids=[letter.id for letter in letters],
                keys=[],
                replayed=len(outcome.replayed),
                still_rejected=len(outcome.still_failing),
                run_id=summary.run_id,
            )
        ]
        if outcome.superseded:
            events.append(
                dlq_discard_event(
                    job=job_name,
                    letter_ids=outcome.superseded,
                    keys=[],
                    reason="superseded: the input read again was refused anew",
                )
            )
        runner.audit.append(conn, events)
    return outcome
