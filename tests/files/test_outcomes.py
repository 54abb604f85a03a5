"""A run that dies of something nobody planned for is recorded as what it was."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gateway.store import Store, schema
from tests.helpers.inbox import Inbox, csv_bytes, person_rows


def _recorded(inbox: Inbox) -> tuple[str, str | None, str]:
    """(runs.status, runs.error, the audit run_end outcome) of the last run."""
    store = Store(f"sqlite:///{inbox.root / 'store.db'}")
    try:
        with store.connect() as conn:
            run = conn.execute(
                select(schema.runs.c.status, schema.runs.c.error).order_by(
                    schema.runs.c.started_at.desc()
                )
            ).first()
            end = conn.execute(
                select(schema.audit_log.c.outcome)
                .where(schema.audit_log.c.kind == "run_end")
                .order_by(schema.audit_log.c.seq.desc())
            ).scalar()
    finally:
        store.close()
    assert run is not None
    return str(run.status), run.error, str(end)


def test_a_bug_in_a_reader_ends_the_run_failed_everywhere(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a GatewayError, not an environment fault: failed in the summary, runs, the audit
    log and the exit code, and the file stays in the inbox for the next run."""

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("adapters.files.pull.read_rows", broken)
    inbox.drop("rows.csv", csv_bytes(person_rows(10)))
    summary, code = inbox.sync()
    assert (summary.status, code) == ("failed", 1)
    assert summary.error == "unexpected error (RuntimeError); see the log"
    assert _recorded(inbox) == ("failed", summary.error, "failed")
    assert (inbox.folder / "rows.csv").exists()
    monkeypatch.undo()
    summary, code = inbox.sync()
    assert (summary.status, code, summary.inserted) == ("succeeded", 0, 10)
