"""The files pull stream: pages, cursor, resuming, moves to processed/ and failed/, exchanges."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import openpyxl
import pytest

from adapters.files import ERROR_FIELD, FilesAdapter, FilesPullStream, FilesPushStream, adapter
from gateway.adapter import Direction, ExchangeRecorder, Page, StreamContext
from gateway.errors import ConfigError, StoreError

HEADER = "姓名,身份证号,核验状态\r\n"


def fake_rows(count: int, start: int = 0) -> str:
    # Synthetic ID-number-shaped strings: the format only, nobody's number.
    return "".join(f"测试{n},5201021990{n:08d},已核验\r\n" for n in range(start, start + count))


def make_ctx(tmp_path: Path, **options: Any) -> StreamContext:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    platform = SimpleNamespace(options={"inbox": "inbox", "outbox": "outbox"})
    return StreamContext(
        job="verifications",
        run_id="run-1",
        platform_name="bureau_files",
        platform=cast(Any, platform),
        options={"pattern": "*.csv", "ready": "rename", **options},
        exchanges=ExchangeRecorder(),
        base_dir=str(tmp_path),
    )


def drop(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / "inbox" / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def commit_all(pages: list[Page]) -> None:
    """What the runtime does after each page's transaction: run the hook."""
    for page in pages:
        if page.on_commit is not None:
            page.on_commit()


def run(ctx: StreamContext, cursor: dict[str, Any] | None = None) -> list[Page]:
    pages = list(FilesPullStream("verifications").read(ctx, cursor))
    commit_all(pages)
    return pages


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pages_refs_source_and_cursor(tmp_path: Path) -> None:
    """Five rows in pages of two: refs name file and row, the last page marks the file done."""
    ctx = make_ctx(tmp_path, page_size=2)
    digest = sha(drop(tmp_path, "a.csv", HEADER + fake_rows(5)))
    pages = list(FilesPullStream("verifications").read(ctx, None))
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [p.refs for p in pages] == [["a.csv#2", "a.csv#3"], ["a.csv#4", "a.csv#5"], ["a.csv#6"]]
    assert {p.source for p in pages} == {"a.csv"}
    assert pages[0].cursor == {"v": 1, "done": [], "file": digest, "row": 2}
    assert pages[1].cursor == {"v": 1, "done": [], "file": digest, "row": 4}
    assert pages[2].cursor == {"v": 1, "done": [digest], "file": None, "row": 0}
    assert pages[0].on_commit is None
    assert pages[1].on_commit is None
    assert pages[0].records[0] == {
        "姓名": "测试0",
        "身份证号": "520102199000000000",
        "核验状态": "已核验",
    }
    assert (tmp_path / "inbox" / "a.csv").exists()
    commit_all(pages)
    assert not (tmp_path / "inbox" / "a.csv").exists()
    assert (tmp_path / "inbox" / "processed" / "a.csv").exists()


def test_exact_multiple_of_page_size_ends_with_the_full_page(tmp_path: Path) -> None:
    """When rows fill the last page exactly, that page finishes the file: no empty extra page."""
    ctx = make_ctx(tmp_path, page_size=2)
    drop(tmp_path, "a.csv", HEADER + fake_rows(4))
    pages = run(ctx)
    assert [len(p.records) for p in pages] == [2, 2]
    assert pages[-1].cursor is not None
    assert pages[-1].cursor["file"] is None


def test_files_in_name_order_with_an_exchange_per_page(tmp_path: Path) -> None:
    """Files are read sorted by name; each page carries a file.read exchange with the digest."""
    ctx = make_ctx(tmp_path)
    b = drop(tmp_path, "b.csv", HEADER + fake_rows(2, start=10))
    a = drop(tmp_path, "a.csv", HEADER + fake_rows(3))
    drop(tmp_path, "other.jsonl", "{}\n")
    pages = run(ctx)
    assert [p.source for p in pages] == ["a.csv", "b.csv"]
    exchanges = ctx.exchanges.drain()
    assert [(e.endpoint, e.record_count, e.outcome) for e in exchanges] == [
        (f"file:a.csv#sha256={sha(tmp_path / 'inbox/processed/a.csv')}", 3, "ok"),
        (f"file:b.csv#sha256={sha(tmp_path / 'inbox/processed/b.csv')}", 2, "ok"),
    ]
    assert all(e.direction is Direction.PULL and e.operation == "file.read" for e in exchanges)
    assert all(e.platform == "bureau_files" and e.response_body == b"" for e in exchanges)
    assert [p.exchange for p in pages] == exchanges
    assert not a.exists()
    assert not b.exists()


def test_resume_from_mid_file_cursor(tmp_path: Path) -> None:
    """A cursor at file X row N resumes X at data row N+1, before any other file."""
    ctx = make_ctx(tmp_path, page_size=3)
    drop(tmp_path, "b.csv", HEADER + fake_rows(7))
    first = next(iter(FilesPullStream("verifications").read(ctx, None)))
    assert first.refs == ["b.csv#2", "b.csv#3", "b.csv#4"]
    drop(tmp_path, "a.csv", HEADER + fake_rows(1, start=50))
    resumed = run(ctx, first.cursor)
    assert [p.source for p in resumed] == ["b.csv", "b.csv", "a.csv"]
    assert resumed[0].refs == ["b.csv#5", "b.csv#6", "b.csv#7"]
    assert resumed[0].records[0]["身份证号"] == "520102199000000003"
    assert resumed[1].refs == ["b.csv#8"]
    read = [e for e in ctx.exchanges.drain() if e.endpoint.startswith("file:b.csv")]
    assert [e.record_count for e in read] == [3, 3, 1]


def test_crash_after_commit_before_move_only_moves(tmp_path: Path) -> None:
    """A file whose digest is already done yields nothing and is moved to processed/."""
    ctx = make_ctx(tmp_path)
    path = drop(tmp_path, "a.csv", HEADER + fake_rows(2))
    cursor = {"v": 1, "done": [sha(path)], "file": None, "row": 0}
    assert run(ctx, cursor) == []
    assert ctx.exchanges.drain() == []
    assert (tmp_path / "inbox" / "processed" / "a.csv").exists()


def test_same_content_under_another_name_is_skipped(tmp_path: Path) -> None:
    """Content processed once is not read again when dropped again under another name."""
    ctx = make_ctx(tmp_path)
    content = HEADER + fake_rows(2)
    drop(tmp_path, "a.csv", content)
    pages = run(ctx)
    drop(tmp_path, "again.csv", content)
    assert run(ctx, pages[-1].cursor) == []
    assert (tmp_path / "inbox" / "processed" / "again.csv").exists()


def test_unreadable_files_go_to_failed_and_others_go_on(tmp_path: Path) -> None:
    """Binary, header-less and broken files fail alone: error exchange, empty page, failed/."""
    ctx = make_ctx(tmp_path, pattern="*")
    drop(tmp_path, "1-binary.csv", b"PK\x03\x04\x00\x00\x00")
    drop(tmp_path, "2-empty.csv", b"")
    drop(tmp_path, "3-broken.xlsx", b"not a zip")
    drop(tmp_path, "4-unknown.pdf", b"%PDF-1.4")
    drop(tmp_path, "5-good.csv", HEADER + fake_rows(1))
    pages = run(ctx)
    assert [(p.source, len(p.records)) for p in pages] == [
        ("1-binary.csv", 0),
        ("2-empty.csv", 0),
        ("3-broken.xlsx", 0),
        ("4-unknown.pdf", 0),
        ("5-good.csv", 1),
    ]
    outcomes = [(e.outcome, e.error) for e in ctx.exchanges.drain()]
    assert [o for o, _ in outcomes] == ["error"] * 4 + ["ok"]
    assert "binary" in str(outcomes[0][1])
    assert "missing header" in str(outcomes[1][1])
    failed = sorted(p.name for p in (tmp_path / "inbox" / "failed").iterdir())
    names = ["1-binary.csv", "2-empty.csv", "3-broken.xlsx", "4-unknown.pdf"]
    assert failed == sorted([*names, *(f"{n}.reason.txt" for n in names)])
    assert [len(p.unreadable) for p in pages] == [1, 1, 1, 1, 0]
    assert all(p.cursor is not None and p.cursor["file"] is None for p in pages)
    # Only the good file is finished: a failed one dropped again is read again.
    assert len(pages[-1].cursor["done"]) == 1  # type: ignore[index]


def test_undecodable_row_costs_only_its_row(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 half-way make that row an error record; the file goes on."""
    ctx = make_ctx(tmp_path, page_size=100, encoding="utf-8")
    body = (HEADER + fake_rows(1000)).encode() + b"\xff\xfe,x,y\r\n" + fake_rows(5).encode()
    drop(tmp_path, "a.csv", body)
    pages = run(ctx)
    records = [r for p in pages for r in p.records]
    assert len(records) == 1006
    [bad] = [r for r in records if ERROR_FIELD in r]
    assert bad[ERROR_FIELD] == "bytes that are not utf-8 text in column 1"
    assert bad["姓名"] == "\\xff\\xfe"
    assert [e.outcome for e in ctx.exchanges.drain()] == ["ok"] * len(pages)
    assert (tmp_path / "inbox" / "processed" / "a.csv").exists()


def test_rows_before_an_unparsable_row_are_delivered(tmp_path: Path) -> None:
    """Every row parsed before a file-level failure reaches the failure page, the last one too."""
    ctx = make_ctx(tmp_path, page_size=100)
    drop(tmp_path, "a.csv", HEADER + fake_rows(3) + "测试," + "9" * 200_000 + ",x\r\n")
    [page] = run(ctx)
    assert page.refs == ["a.csv#2", "a.csv#3", "a.csv#4"]
    [exchange] = ctx.exchanges.drain()
    assert exchange.outcome == "error"
    assert exchange.error == "malformed CSV (after_row=4)"
    assert (tmp_path / "inbox" / "failed" / "a.csv").exists()


def test_malformed_row_is_a_record_not_a_failure(tmp_path: Path) -> None:
    """A row with the wrong column count comes through as an __error__ record with its ref."""
    ctx = make_ctx(tmp_path)
    drop(tmp_path, "a.csv", HEADER + fake_rows(1) + "测试,5201021990\r\n" + fake_rows(1, start=9))
    [page] = run(ctx)
    assert page.records[1] == {
        ERROR_FIELD: "expected 3 columns, found 2",
        "姓名": "测试",
        "身份证号": "5201021990",
    }
    assert page.refs == ["a.csv#2", "a.csv#3", "a.csv#4"]
    assert (tmp_path / "inbox" / "processed" / "a.csv").exists()


def test_jsonl_through_the_stream(tmp_path: Path) -> None:
    """JSONL lines count from 1 and a malformed line is an __error__ record at its line."""
    ctx = make_ctx(tmp_path, pattern="*.jsonl")
    drop(tmp_path, "v.jsonl", '{"a": 1}\nnot json\n{"a": 3}\n')
    [page] = run(ctx)
    assert page.refs == ["v.jsonl#1", "v.jsonl#2", "v.jsonl#3"]
    assert ERROR_FIELD in page.records[1]
    assert page.records[2] == {"a": 3}
    assert (tmp_path / "inbox" / "processed" / "v.jsonl").exists()


def test_xlsx_through_the_stream(tmp_path: Path) -> None:
    """An XLSX file is paged with spreadsheet row numbers and moved to processed/."""
    ctx = make_ctx(tmp_path, pattern="*.xlsx", page_size=2)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "核验日期"])
    for n in range(3):
        sheet.append([f"5201021990{n:08d}", date(2024, 3, n + 1)])
    book.save(tmp_path / "inbox" / "v.xlsx")
    pages = run(ctx)
    assert [p.refs for p in pages] == [["v.xlsx#2", "v.xlsx#3"], ["v.xlsx#4"]]
    assert pages[1].records == [{"身份证号": "520102199000000002", "核验日期": "2024-03-03"}]
    assert (tmp_path / "inbox" / "processed" / "v.xlsx").exists()


def test_processed_name_clash_keeps_both_files(tmp_path: Path) -> None:
    """A different file of the same name already in processed/ is not overwritten."""
    ctx = make_ctx(tmp_path)
    drop(tmp_path, "a.csv", HEADER + fake_rows(1))
    run(ctx)
    digest = sha(drop(tmp_path, "a.csv", HEADER + fake_rows(1, start=5)))
    run(ctx)
    processed = sorted(p.name for p in (tmp_path / "inbox" / "processed").iterdir())
    assert processed == sorted(["a.csv", f"a.{digest[:12]}.csv"])


def test_hidden_and_already_sorted_files_are_ignored(tmp_path: Path) -> None:
    """Hidden files and files inside processed/ or failed/ are never taken."""
    ctx = make_ctx(tmp_path, pattern="**/*.csv")
    drop(tmp_path, ".writing.csv", HEADER + fake_rows(1))
    (tmp_path / "inbox" / "processed").mkdir()
    drop(tmp_path, "processed/old.csv", HEADER + fake_rows(1))
    assert run(ctx) == []


def test_stop_event_ends_after_the_current_page(tmp_path: Path) -> None:
    """Once the run is asked to stop, no page follows the one being committed."""
    ctx = make_ctx(tmp_path, page_size=2)
    drop(tmp_path, "a.csv", HEADER + fake_rows(6))
    pages = []
    for page in FilesPullStream("verifications").read(ctx, None):
        pages.append(page)
        ctx.stop.set()
    assert len(pages) == 1


def test_cursor_is_versioned_and_checked(tmp_path: Path) -> None:
    """An unknown cursor version or shape is refused instead of misread."""
    ctx = make_ctx(tmp_path)
    drop(tmp_path, "a.csv", HEADER + fake_rows(1))
    with pytest.raises(StoreError, match="version"):
        run(ctx, {"v": 2, "done": [], "file": None, "row": 0})
    with pytest.raises(StoreError, match="malformed"):
        run(ctx, {"v": 1, "done": "x", "file": None, "row": 0})


def test_done_list_keeps_the_most_recent(tmp_path: Path) -> None:
    """The done list is capped, keeping the newest digests."""
    ctx = make_ctx(tmp_path)
    old = [f"{n:064x}" for n in range(10_000)]
    digest = sha(drop(tmp_path, "a.csv", HEADER + fake_rows(1)))
    [page] = run(ctx, {"v": 1, "done": old, "file": None, "row": 0})
    assert page.cursor is not None
    assert len(page.cursor["done"]) == 10_000
    assert page.cursor["done"][-1] == digest
    assert page.cursor["done"][0] == old[1]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pattern": None}, "pattern"),
        ({"patern": "*.csv"}, "patern"),
        ({"format": "xls"}, "format"),
        ({"pattern": "../*.csv"}, "pattern"),
        ({"delimiter": ";;"}, "delimiter"),
    ],
    ids=["missing-pattern", "typo", "bad-format", "escape", "delimiter"],
)
def test_bad_job_options_are_config_errors(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    """Bad job options fail with a ConfigError naming the option."""
    ctx = make_ctx(tmp_path)
    ctx.options = {k: v for k, v in {**ctx.options, **options}.items() if v is not None}
    with pytest.raises(ConfigError, match=message):
        run(ctx)


def test_missing_inbox_is_a_config_error(tmp_path: Path) -> None:
    """An inbox directory that does not exist is a configuration error, not an empty inbox."""
    ctx = make_ctx(tmp_path)
    ctx.platform = cast(Any, SimpleNamespace(options={"inbox": "nowhere"}))
    with pytest.raises(ConfigError, match="inbox directory does not exist"):
        run(ctx)


def test_adapter_accepts_any_stream_name() -> None:
    """The files adapter makes a stream for any name and keeps it for later lookups."""
    assert isinstance(adapter, FilesAdapter)
    assert adapter.name == "files"
    pull = adapter.stream("verifications", Direction.PULL)
    assert isinstance(pull, FilesPullStream)
    assert pull.name == "verifications"
    assert adapter.stream("verifications", Direction.PULL) is pull
    push = adapter.stream("anything_else", Direction.PUSH)
    assert isinstance(push, FilesPushStream)
    assert "verifications" in list(adapter.pull_streams())
    with pytest.raises(ConfigError):
        adapter.stream("", Direction.PULL)
