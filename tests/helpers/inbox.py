"""A real inbox folder and a files job reading it with the verifications mapping; rows, files."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from sqlalchemy import func, select

from gateway.cli.jobs import exit_code
from gateway.config import load_config
from gateway.pipeline.runner import JobRunner, RunSummary
from gateway.store import Store, schema
from tests.helpers.mapping import make_id

HEADER = ["身份证号", "核查状态", "就业状态", "工作地点", "核查时间", "核查人"]


def person_rows(count: int, seed: int = 7) -> list[list[str]]:
    """``count`` valid, distinct verification rows of invented people."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        birth = f"19{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        rows.append(
            [
                make_id("522601", birth, f"{n % 1000:03d}"),
                rng.choice(["已核查", "核查异常", "1"]),
                rng.choice(["已就业", "务农", "3"]),
                "凯里市测试路" + str(n),
                f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 0{rng.randint(0, 9)}:30:00",
                "测试员" + str(n % 7),
            ]
        )
    # make_id's sequence repeats every 1,000 rows: keep every key distinct.
    seen: set[tuple[str, str]] = set()
    unique = []
    for row in rows:
        if (row[0], row[4]) not in seen:
            seen.add((row[0], row[4]))
            unique.append(row)
    return unique


def csv_bytes(
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    newline: str = "\r\n",
    header: list[str] | None = None,
) -> bytes:
    lines = [delimiter.join(header or HEADER), *(delimiter.join(r) for r in rows)]
    return (newline.join(lines) + newline).encode(encoding)


@dataclass
class Inbox:
    """One gateway.yaml with one files job per test, the inbox, and the store it writes."""

    root: Path

    @property
    def folder(self) -> Path:
        return self.root / "inbox"

    @property
    def config_path(self) -> Path:
        return self.root / "gateway.yaml"

    def configure(self, min_free_mb: int = 256, **options: Any) -> None:
        key = self.root / "audit.key"
        key.write_text("an-audit-key-for-these-tests-only", "utf-8")
        config = {
            "store": {"url": f"sqlite:///{self.root / 'store.db'}", "min_free_mb": min_free_mb},
            "audit": {"key": f"file:{key}"},
            "logging": {"file": None},
            "platforms": {"desk": {"adapter": "files", "options": {"inbox": "inbox"}}},
            "jobs": {
                "load": {
                    "source": "desk.verifications",
                    "target": "store",
                    "mapping": "files/verifications.yaml",
                    "batch_size": 1000,
                    "options": {"pattern": "*.*", "settle_seconds": 0.2, **options},
                }
            },
        }
        self.config_path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")

    def drop(self, name: str, content: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(content)
        return path

    def sync(self, *, reset: bool = False) -> tuple[RunSummary, int]:
        """One run of the job, as ``gateway sync`` does it; its summary and exit code."""
        config = load_config(self.config_path)
        store = Store(config.store_url)
        try:
            if reset:
                store.reset_checkpoint("load")
            summary = JobRunner(config, store).run("load")
        finally:
            store.close()
        return summary, exit_code(summary.status, [])

    def counts(self) -> tuple[int, int]:
        """(records stored, dead letters) of the job."""
        store = Store(f"sqlite:///{self.root / 'store.db'}")
        try:
            with store.connect() as conn:
                records = conn.execute(select(func.count()).select_from(schema.records)).scalar()
                letters = conn.execute(
                    select(func.count()).select_from(schema.dead_letters)
                ).scalar()
        finally:
            store.close()
        return int(records or 0), int(letters or 0)

    def letters(self) -> list[dict[str, Any]]:
        store = Store(f"sqlite:///{self.root / 'store.db'}")
        try:
            with store.connect() as conn:
                rows = conn.execute(select(schema.dead_letters)).mappings().all()
        finally:
            store.close()
        return [dict(r) for r in rows]


def workbook(sheets: dict[str, list[list[str]]], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge:
            sheet.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
