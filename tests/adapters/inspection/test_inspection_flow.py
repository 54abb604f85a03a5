"""The inspection part of ``gateway demo`` end to end: inbox files → store → simulated platform
→ tasks → local results → published, then the report, re-runs and a file with a bad row."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from adapters.inspection.report import inspection
from gateway.config import GatewayConfig
from gateway.masking import mask_id_number, mask_name, mask_phone
from gateway.pipeline import JobRunner, RunSummary
from gateway.store import Store, schema
from gateway.store.dlq import list_letters
from simulators.demo import inspection as demo
from simulators.demo.config import DemoContext, job_order
from simulators.demo.inspection import data as demodata
from simulators.demo.inspection import demo_part, write_csv
from simulators.inspection.draw import DrawPlan, draw_tasks
from simulators.serve import running_simulators
from tests.helpers.inspection_flow import run_all, write_config

SEED = 2022
STREAMS = ("check_items", "subjects", "inspectors", "results")


def platform_state(url: str) -> dict[str, Any]:
    """What the platform holds and has counted, without the request counters."""
    figures: dict[str, Any] = httpx.get(f"{url}/_sim/stats").json()
    return {k: v for k, v in figures.items() if k not in ("requests", "faults")}


@dataclass
class Flow:
    config: GatewayConfig
    store: Store
    runner: JobRunner
    url: str
    inbox: Path
    first: dict[str, RunSummary]
    held: dict[str, list[dict[str, Any]]]
    state: dict[str, Any]
    rerun: dict[str, RunSummary]
    state_after_rerun: dict[str, Any]


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    """Every inspection job once and then again, against a platform that stays up."""
    ctx = DemoContext(tmp_path_factory.mktemp("demo"), seed=SEED)
    part = demo_part(ctx)
    config = write_config(ctx, part.platforms, part.jobs)
    store = Store(config.store_url)
    with running_simulators(config) as urls:
        url = urls["inspection"]
        runner = JobRunner(config, store)
        first = run_all(runner, config)
        held = {s: httpx.get(f"{url}/_sim/records/{s}").json()["items"] for s in STREAMS}
        state = platform_state(url)
        rerun = run_all(runner, config)
        yield Flow(
            config, store, runner, url, ctx.inbox(), first, held, state, rerun, platform_state(url)
        )
    store.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="gb18030", newline="") as text:
        return list(csv.DictReader(text))


def read_xlsx(path: Path) -> list[dict[str, str]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book.active
        assert sheet is not None
        header, *rows = [[str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_jobs_run_in_the_order_the_work_happens(flow: Flow) -> None:
    """Loads before pushes, all three pushes before the tasks pull, results after the tasks."""
    order = job_order(flow.config)
    position = order.index
    for name in ("items", "subjects", "inspectors"):
        assert position(f"inspection-{name}-load") < position(f"inspection-{name}-push")
        assert position(f"inspection-{name}-push") < position("inspection-tasks")
    assert position("inspection-tasks") < position("inspection-results-load")
    assert position("inspection-results-load") < position("inspection-results-push")


def test_every_job_succeeds_once_without_rejections(flow: Flow) -> None:
    """The first pass reads and writes every record; nothing is rejected or retried."""
    read = {job: s.read for job, s in flow.first.items()}
    assert {s.status for s in flow.first.values()} == {"succeeded"}
    assert {s.rejected for s in flow.first.values()} == {0}
    assert read == {
        "inspection-items-load": 127,
        "inspection-subjects-load": 4125,
        "inspection-inspectors-load": 137,
        "inspection-items-push": 127,
        "inspection-subjects-push": 4125,
        "inspection-inspectors-push": 137,
        "inspection-tasks": 99,
        "inspection-results-load": 270,
        "inspection-results-push": 270,
    }
    assert all(s.inserted == s.read for s in flow.first.values())
    assert not list(flow.inbox.glob("inspection-*"))  # every file moved on
    assert len(list((flow.inbox / "processed").glob("inspection-*"))) == 4


def test_platform_holds_exactly_what_the_inbox_files_hold(flow: Flow) -> None:
    """127 items, 4,125 subjects and 137 inspectors at the platform, field for field."""
    processed = flow.inbox / "processed"
    items = read_csv(processed / "inspection-items-2022.csv")
    subjects = read_csv(processed / "inspection-subjects-2022.csv")
    people = read_xlsx(processed / "inspection-inspectors-2022.xlsx")
    assert (len(items), len(subjects), len(people)) == (127, 4125, 137)
    assert sorted(
        (r["itemCode"], r["itemName"], r["department"]) for r in flow.held["check_items"]
    ) == sorted((r["事项编码"], r["事项名称"], r["实施主体"]) for r in items)
    assert sorted(
        (r["uscc"], r["name"], r["regionCode"], r["address"]) for r in flow.held["subjects"]
    ) == sorted(
        (r["统一社会信用代码"], r["单位名称"], r["所在地区划代码"], r["地址"]) for r in subjects
    )
    # Personal data is compared masked: the harness never shows it, the test never prints it.
    assert sorted(
        (r["certNo"], r["idNumber"], r["name"], r["mobile"]) for r in flow.held["inspectors"]
    ) == sorted(
        (
            r["执法证号"],
            mask_id_number(r["身份证号"]),
            mask_name(r["姓名"]),
            mask_phone(r["手机号码"]),
        )
        for r in people
    )
    assert flow.state["held"] == {
        "check_items": 127,
        "subjects": 4125,
        "inspectors": 137,
        "results": 270,
    }


def test_results_reference_the_tasks_the_platform_drew(flow: Flow) -> None:
    """Every published result names a drawn task and one of its drawn subjects."""
    drawn = {(t["taskId"], s) for t in stored_tasks(flow) for s in t["subjects"]}
    published = {(r["taskId"], r["uscc"]) for r in flow.held["results"]}
    assert len(published) == 270
    assert published <= drawn
    drawn_counts = (flow.state[k] for k in ("tasks", "task_subjects", "inspector_assignments"))
    assert tuple(drawn_counts) == (99, 281, 206)


def stored_tasks(flow: Flow) -> list[dict[str, Any]]:
    """The tasks as the gateway stored them (canonical field names)."""
    with flow.store.connect() as conn:
        rows = conn.execute(
            select(schema.records.c.payload).where(schema.records.c.entity == "inspection_task")
        )
        tasks = [json.loads(payload) for (payload,) in rows]
    return [{"taskId": t["task_id"], "subjects": t["subjects"]} for t in tasks]


def report(flow: Flow, *args: str) -> dict[str, Any]:
    app = typer.Typer()
    app.command()(inspection)
    result = CliRunner().invoke(app, ["--config", str(flow.config.source_path), "--json", *args])
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def test_report_shows_the_years_figures(flow: Flow) -> None:
    """99 tasks, 281 subjects, 206 inspector places, 270 results: 78 未发现问题, 10 其他."""
    figures = report(flow, "--since", "2022-01-01", "--until", "2022-12-31")
    categories = {c["label"]: c["count"] for c in figures["by_category"]}
    assert figures["tasks_drawn"] == 99
    assert figures["subjects_checked"] == 281
    assert figures["inspector_assignments"] == 206
    assert figures["results_published"] == 270
    assert categories["未发现问题"] == 78
    assert categories["其他"] == 10
    assert sum(categories.values()) == 270
    assert figures["awaiting_results"] == 11
    assert figures["results_not_accepted"] == 0


def test_report_counts_a_period_from_the_synced_records(flow: Flow) -> None:
    """From July on: the tasks drawn and results published then, as the files and draw say."""
    processed = flow.inbox / "processed"
    tasks = draw_tasks(
        DrawPlan(),
        SEED,
        [r["事项编码"] for r in read_csv(processed / "inspection-items-2022.csv")],
        [r["统一社会信用代码"] for r in read_csv(processed / "inspection-subjects-2022.csv")],
        [r["执法证号"] for r in read_xlsx(processed / "inspection-inspectors-2022.xlsx")],
    )
    later = [t for t in tasks if t.drawn_at >= datetime(2022, 7, 1)]
    results = [
        r
        for r in read_csv(processed / "inspection-results-2022.csv")
        if r["公示日期"] >= "2022-07-01"
    ]
    figures = report(flow, "--since", "2022-07-01")
    categories = {c["label"]: c["count"] for c in figures["by_category"] if c["count"]}
    assert 0 < figures["tasks_drawn"] == len(later) < 99
    assert figures["subjects_checked"] == len({s for t in later for s in t.subjects})
    assert figures["inspector_assignments"] == sum(len(t.inspectors) for t in later)
    assert figures["results_published"] == len(results)
    assert categories == dict(Counter(r["检查结果"] for r in results))
    assert report(flow, "--until", "2021-12-31")["tasks_drawn"] == 0


def test_report_flags_results_published_late(flow: Flow) -> None:
    """Results published more than 20 working days after the check are counted as late."""
    from gateway.workdays import DEFAULT_CALENDAR

    rows = read_csv(flow.inbox / "processed" / "inspection-results-2022.csv")
    late = [
        r
        for r in rows
        if date.fromisoformat(r["公示日期"])
        > DEFAULT_CALENDAR.nth_working_day_after(date.fromisoformat(r["检查日期"]), 20)
    ]
    assert report(flow)["published_late"] == len(late) > 0


def test_report_prints_a_table(flow: Flow) -> None:
    """Without --json the figures come as tables with the national category names."""
    app = typer.Typer()
    app.command()(inspection)
    result = CliRunner().invoke(app, ["--config", str(flow.config.source_path)])
    assert result.exit_code == 0, result.output
    assert "tasks drawn" in result.stdout
    assert "未发现问题" in result.stdout


def test_rerunning_every_job_changes_nothing_at_the_platform(flow: Flow) -> None:
    """A second pass of every job reads nothing new and sends nothing."""
    assert {s.status for s in flow.rerun.values()} == {"succeeded"}
    assert {s.read for s in flow.rerun.values()} == {0}
    assert flow.state_after_rerun == flow.state
    assert {
        v for counts in (flow.state["duplicates"], flow.state["updated"]) for v in counts.values()
    } == {0}


def test_forgetting_every_checkpoint_resends_nothing(flow: Flow) -> None:
    """After ``--reset`` of every job the pushes re-read every change but send none again."""
    for job in flow.config.jobs:
        flow.store.reset_checkpoint(job)
    again = run_all(flow.runner, flow.config)
    assert {s.status for s in again.values()} == {"succeeded"}
    assert {s.inserted + s.updated for s in again.values()} == {0}
    assert again["inspection-subjects-push"].unchanged == 4125
    assert platform_state(flow.url) == flow.state


@pytest.fixture
def one_bad_row(tmp_path: Path) -> tuple[GatewayConfig, Path]:
    """A GB18030 subjects file of 30 rows whose row 17 has a wrong USCC check character."""
    ctx = DemoContext(tmp_path, seed=SEED)
    rows = demodata.subjects(30, SEED)
    bad = rows[15]  # data row 16 is file row 17: the header is row 1
    code = bad["统一社会信用代码"]
    bad["统一社会信用代码"] = code[:17] + ("0" if code[17] != "0" else "1")
    path = ctx.inbox() / "inspection-subjects-bureau.csv"
    write_csv(path, demodata.SUBJECT_COLUMNS, rows)
    wanted = ("inspection-subjects-load", "inspection-subjects-push")
    jobs = {name: job for name, job in demo.jobs().items() if name in wanted}
    return write_config(ctx, demo.platforms(ctx, DrawPlan()), jobs), path


def test_bad_uscc_row_goes_to_the_dead_letter_queue(
    one_bad_row: tuple[GatewayConfig, Path],
) -> None:
    """Row 17 is dead-lettered with file, row and rule; 29 rows reach the platform; file done."""
    config, path = one_bad_row
    store = Store(config.store_url)
    try:
        with running_simulators(config) as urls:
            runner = JobRunner(config, store)
            summaries = run_all(runner, config)
            state = platform_state(urls["inspection"])
        with store.connect() as conn:
            letters = list_letters(conn)
            stored = conn.execute(
                select(func.count()).where(schema.records.c.entity == "inspection_subject")
            ).scalar_one()
    finally:
        store.close()
    load = summaries["inspection-subjects-load"]
    assert (load.status, load.read, load.inserted, load.rejected) == ("succeeded", 30, 29, 1)
    assert len(letters) == 1
    letter = letters[0]
    assert letter.source == f"{path.name}#17"
    assert letter.rules == ["uscc:uscc"]
    assert "GB 32100" in letter.reasons[0]["detail"]
    assert stored == 29
    assert state["held"]["subjects"] == 29
    assert not path.exists()
    assert (path.parent / "processed" / path.name).exists()
