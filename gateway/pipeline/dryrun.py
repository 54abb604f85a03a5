"""``sync --dry-run``: read, map and validate as a run would, and write nothing.

No run row, no records, no dead letters, no cursor, no outbox, no audit entries, and no
platform writes: a pull reads the source from the saved cursor on, a push maps the store's
changes after its saved position without sending them. What a run would have done is
counted, and the first rejections are kept with their reasons (values masked by the mapping's
PII classes): what an integrator looks at after changing a mapping. The breakers of a dry run
live in memory, so a failing dry run never opens the breaker real runs read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.adapter import ExportStream, PullStream, PushStream
from gateway.audit import audit_log_from_config
from gateway.errors import ConfigError
from gateway.pipeline.context import RunContext, key_masker
from gateway.pipeline.pull import split_page, unreadable_count
from gateway.pipeline.runner import JobRunner
from gateway.store.records import changes_since

FIRST_REJECTIONS = 10
DRY_RUN_ID = "dry-run"


@dataclass
class DryRunReport:
    job: str
    direction: str
    read: int = 0
    valid: int = 0
    rejected: int = 0
    unreadable: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def keep(self, source: str, key: str | None, reasons: list[dict[str, Any]]) -> None:
        if len(self.rejections) < FIRST_REJECTIONS:
            self.rejections.append({"source": source, "key": key, "reasons": reasons})

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def dry_run(runner: JobRunner, job_name: str, stop: threading.Event | None = None) -> DryRunReport:
    config = runner.config
    job = config.job(job_name)
    mapping = runner.mapping_for(job_name)
    stream = runner.stream(job_name)
    if isinstance(stream, ExportStream):
        raise ConfigError("a monthly file job has no dry run", job=job_name)
    ctx = runner.stream_context(job_name, DRY_RUN_ID, mapping)
    run = RunContext(
        config, runner.store, audit_log_from_config(config), job_name, job, mapping,
        DRY_RUN_ID, ctx,
    )  # fmt: skip
    report = DryRunReport(job_name, "pull" if job.is_pull else "push")
    if isinstance(stream, PullStream):
        _pull(run, stream, report, stop)
    else:
        _push(run, stream, report, stop)
    return report


def _pull(
    run: RunContext, stream: PullStream, report: DryRunReport, stop: threading.Event | None
) -> None:
    cursor = run.store.load_checkpoint(run.job_name)
    for page in stream.read(run.stream_ctx, cursor):
        run.recorder.drain()
        split = split_page(run, page)
        letters = split.letters
        report.read += len(page.records)
        report.valid += len(split.rows)
        report.unreadable += unreadable_count(page)
        report.rejected += len(letters) - len(page.unreadable)
        for letter in letters:
            report.keep(letter.source, letter.record_key, [r.as_dict() for r in letter.reasons])
        if stop is not None and stop.is_set():
            return


def _push(
    run: RunContext, _stream: PushStream, report: DryRunReport, stop: threading.Event | None
) -> None:
    cursor = run.store.load_checkpoint(run.job_name)
    seq = int(cursor["seq"]) if cursor and isinstance(cursor.get("seq"), int) else 0
    masker = key_masker(run.mapping)
    while stop is None or not stop.is_set():
        with run.store.connect() as conn:
            changes = changes_since(conn, run.mapping.entity, seq, run.job.batch_size)
        if not changes:
            return
        for change in changes:
            result = run.mapping.map(orjson.loads(change.payload))
            report.read += 1
            if result.ok and result.record is not None:
                report.valid += 1
                continue
            report.rejected += 1
            source = f"store:{run.mapping.entity}#{change.change_seq}"
            report.keep(source, masker(change.key), [r.as_dict() for r in result.errors])
        seq = changes[-1].change_seq
