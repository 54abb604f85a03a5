"""The inspection platform's part of ``gateway demo``: its simulator, its jobs, its inbox files.

The jobs run in the order the work happens: the bureau's three directories are loaded from the
inbox and pushed to the platform; the platform draws the year's checks from what it holds and
the gateway pulls the tasks; the bureau's case system hands over the results, which are loaded
and published. ``depends_on`` encodes that order for ``gateway demo`` and the scheduler.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from simulators.demo.config import DemoContext, DemoPart
from simulators.demo.inspection import data as demodata
from simulators.demo.inspection.results import RESULT_COLUMNS, result_rows
from simulators.inspection.draw import DrawPlan, draw_tasks

INBOX_PLATFORM = {"adapter": "files", "options": {"inbox": "inbox", "outbox": "outbox"}}
PLATFORM = "inspection"


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    """GB18030 with CRLF, as the bureau's office software saves a CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gb18030"))


def write_xlsx(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    """One sheet, every cell text: an ID number or a code must never become a number."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row[c] for c in columns])
    book.save(path)


def write_inbox(
    inbox: Path, seed: int, plan: DrawPlan, sizes: demodata.DirectorySizes | None = None
) -> None:
    """The three directories and the results of the checks the platform will draw from them."""
    sizes = sizes or demodata.DirectorySizes()
    year = plan.year
    items = demodata.check_items(sizes.check_items)
    subjects = demodata.subjects(sizes.subjects, seed)
    inspectors = demodata.inspectors(sizes.inspectors, seed)
    write_csv(inbox / f"inspection-items-{year}.csv", demodata.ITEM_COLUMNS, items)
    write_csv(inbox / f"inspection-subjects-{year}.csv", demodata.SUBJECT_COLUMNS, subjects)
    write_xlsx(inbox / f"inspection-inspectors-{year}.xlsx", demodata.INSPECTOR_COLUMNS, inspectors)
    tasks = draw_tasks(
        plan,
        seed,
        [r["事项编码"] for r in items],
        [r["统一社会信用代码"] for r in subjects],
        [r["执法证号"] for r in inspectors],
    )
    names = {r["统一社会信用代码"]: r["单位名称"] for r in subjects}
    write_csv(
        inbox / f"inspection-results-{year}.csv", RESULT_COLUMNS, result_rows(tasks, names, seed)
    )


def _load(name: str, mapping: str, pattern: str, deps: list[str] | None = None) -> dict[str, Any]:
    return {
        "source": f"inbox.inspection_{name}",
        "target": "store",
        "mapping": mapping,
        "schedule": "every 1h",
        "batch_size": 500,
        "depends_on": deps or [],
        "options": {"pattern": pattern, "settle_seconds": 1},
    }


def _push(stream: str, deps: list[str]) -> dict[str, Any]:
    return {
        "source": "store",
        "target": f"{PLATFORM}.{stream}",
        "mapping": f"inspection/{stream}.push.yaml",
        "schedule": "every 1h",
        "batch_size": 500,
        "depends_on": deps,
    }


def jobs() -> dict[str, dict[str, Any]]:
    directories = ("items", "subjects", "inspectors")
    mappings = {"items": "check_items", "subjects": "subjects", "inspectors": "inspectors"}
    found: dict[str, dict[str, Any]] = {}
    for name in directories:
        found[f"inspection-{name}-load"] = _load(
            name, f"files/{mappings[name]}.yaml", f"inspection-{name}-*"
        )
    for name in directories:
        found[f"inspection-{name}-push"] = _push(mappings[name], [f"inspection-{name}-load"])
    found["inspection-tasks"] = {
        "source": f"{PLATFORM}.tasks",
        "target": "store",
        "mapping": "inspection/tasks.yaml",
        "schedule": "every 15m",
        "batch_size": 50,
        "depends_on": [f"inspection-{name}-push" for name in directories],
    }
    found["inspection-results-load"] = _load(
        "results", "files/inspection_results.yaml", "inspection-results-*", ["inspection-tasks"]
    )
    found["inspection-results-push"] = _push(
        "results", ["inspection-results-load", "inspection-tasks"]
    )
    return found


def platforms(ctx: DemoContext, plan: DrawPlan) -> dict[str, dict[str, Any]]:
    """The simulated platform (drawing ``plan``) and the shared files inbox."""
    return {
        PLATFORM: {
            "adapter": "inspection",
            "base_url": ctx.platform_url(),
            "app_key": "bureau-demo",
            "app_secret": ctx.secret("inspection"),
            "signature": "hmac-sha256",
            "simulator": {"seed": ctx.seed, "draw": plan.model_dump()},
        },
        "inbox": INBOX_PLATFORM,
    }


def demo_part(ctx: DemoContext) -> DemoPart:
    plan = DrawPlan()
    write_inbox(ctx.inbox(), ctx.seed, plan)
    return DemoPart(platforms=platforms(ctx, plan), jobs=jobs())
