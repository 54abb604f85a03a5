"""Large inbox files are streamed: memory stays bounded by the page, not the file."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from adapters.files import FilesPullStream
from gateway.adapter import ExchangeRecorder, StreamContext

# Wide rows make a big file (~13 MB) out of few rows, so tracemalloc, which slows every
# allocation, has few to trace.
ROWS = 50_000
NOTE = "核验通过，信息与户籍系统一致，已电话回访确认就业状态与工作地点，无需补充材料。" * 2


def write_large_csv(path: Path) -> int:
    with path.open("w", encoding="gb18030", newline="") as handle:
        handle.write("姓名,身份证号,手机号,工作地点,备注\r\n")
        for n in range(ROWS):
            # Synthetic values shaped like ID and phone numbers; they belong to no one.
            handle.write(
                f"测试{n},5201021990{n:08d},1390000{n % 10000:04d},"
                f"贵州省贵阳市测试区测试大道{n}号测试科技园区第{n % 100}栋{n % 30}层,{NOTE}\r\n"
            )
    return path.stat().st_size


def test_large_csv_streams_in_bounded_memory(tmp_path: Path) -> None:
    """Reading a large GB18030 CSV peaks far below the file size and yields every row."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    size = write_large_csv(inbox / "persons.csv")
    ctx = StreamContext(
        job="persons",
        run_id="run-1",
        platform_name="bureau_files",
        platform=cast(Any, SimpleNamespace(options={"inbox": str(inbox)})),
        options={"pattern": "*.csv", "page_size": 1000, "ready": "rename"},
        exchanges=ExchangeRecorder(),
    )
    rows = 0
    last_ref = ""
    tracemalloc.start()
    try:
        for page in FilesPullStream("persons").read(ctx, None):
            rows += len(page.records)
            last_ref = (page.refs or [""])[-1]
            if page.on_commit is not None:
                page.on_commit()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == ROWS
    assert last_ref == f"persons.csv#{ROWS + 1}"
    assert size > 10_000_000
    # A whole file in memory would cost many times its size; one page costs a fraction of it.
    assert peak < size / 5
    assert (inbox / "processed" / "persons.csv").exists()
