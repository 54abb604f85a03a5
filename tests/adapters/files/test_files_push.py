"""The files push stream: outbox files in JSONL, CSV and XLSX, atomic publish, de-duplication."""

from __future__ import annotations

import codecs
import csv
import errno
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import openpyxl
import orjson
import pytest

from adapters.files import FilesPushStream
from adapters.files.journal import Journal, journal_path, key_digest, read_journal
from gateway.adapter import (
    Direction,
    ExchangeRecorder,
    OutgoingRecord,
    PushOutcome,
    PushStatus,
    StreamContext,
)
from gateway.errors import ConfigError, PermanentError
from tests.helpers.paths import ROOT


def make_ctx(tmp_path: Path, run_id: str = "r1", **options: Any) -> StreamContext:
    return StreamContext(
        job="verify_push",
        run_id=run_id,
        platform_name="bureau_outbox",
        platform=cast(Any, SimpleNamespace(options={"outbox": "out"})),
        options=options,
        exchanges=ExchangeRecorder(),
        base_dir=str(tmp_path),
    )


def person(n: int) -> OutgoingRecord:
    # Synthetic ID-number-shaped key: the format only, nobody's number.
    id_number = f"5201021990{n:08d}"
    payload = {"身份证号": id_number, "姓名": f"测试{n}", "核验日期": date(2024, 3, n + 1)}
    return OutgoingRecord(key=id_number, idempotency_key=f"{id_number}@2024-03", payload=payload)


def receipts(outcomes: list[PushOutcome]) -> list[str | None]:
    assert all(o.status is PushStatus.ACCEPTED for o in outcomes)
    return [o.receipt for o in outcomes]


def test_jsonl_is_published_only_on_close(tmp_path: Path) -> None:
    """JSONL rows go to a hidden .part file, renamed to the final name when the run closes."""
    ctx = make_ctx(tmp_path)
    stream = FilesPushStream("verifications")
    first = stream.send(ctx, [person(0), person(1)])
    second = stream.send(ctx, [person(2)])
    final = tmp_path / "out" / "verify_push-r1.jsonl"
    part = tmp_path / "out" / ".verify_push-r1.jsonl.part"
    assert receipts(first + second) == [f"{final.name}#{n}" for n in (1, 2, 3)]
    assert part.exists()
    assert not final.exists()
    stream.close(ctx)
    assert not part.exists()
    lines = final.read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {"身份证号": "520102199000000000", "姓名": "测试0", "核验日期": "2024-03-01"},
        {"身份证号": "520102199000000001", "姓名": "测试1", "核验日期": "2024-03-02"},
        {"身份证号": "520102199000000002", "姓名": "测试2", "核验日期": "2024-03-03"},
    ]


def test_one_exchange_per_batch_with_the_bytes_written(tmp_path: Path) -> None:
    """Each batch is one file.write exchange whose request body is exactly what was appended."""
    ctx = make_ctx(tmp_path)
    stream = FilesPushStream("verifications")
    stream.send(ctx, [person(0), person(1)])
    stream.send(ctx, [person(2)])
    stream.close(ctx)
    exchanges = ctx.exchanges.drain()
    assert [(e.direction, e.operation, e.endpoint, e.record_count) for e in exchanges] == [
        (Direction.PUSH, "file.write", "file:verify_push-r1.jsonl", 2),
        (Direction.PUSH, "file.write", "file:verify_push-r1.jsonl", 1),
    ]
    assert exchanges[0].record_keys == [person(0).key, person(1).key]
    final = tmp_path / "out" / "verify_push-r1.jsonl"
    assert b"".join(e.request_body for e in exchanges) == final.read_bytes()


def test_csv_utf8_sig_with_header_from_first_record(tmp_path: Path) -> None:
    """CSV gets one BOM, a header from the first record's keys, and receipts from row 2."""
    ctx = make_ctx(tmp_path, format="csv")
    stream = FilesPushStream("verifications")
    first = stream.send(ctx, [person(0)])
    second = stream.send(ctx, [person(1)])
    final = tmp_path / "out" / "verify_push-r1.csv"
    assert not final.exists()
    stream.close(ctx)
    assert receipts(first + second) == [f"{final.name}#2", f"{final.name}#3"]
    data = final.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(codecs.BOM_UTF8) == 1
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["身份证号", "姓名", "核验日期"],
        ["520102199000000000", "测试0", "2024-03-01"],
        ["520102199000000001", "测试1", "2024-03-02"],
    ]


def test_csv_in_gb18030_and_unknown_field_rejected(tmp_path: Path) -> None:
    """The encoding option is honoured; a record with a field outside the header is rejected."""
    ctx = make_ctx(tmp_path, format="csv", encoding="gb18030", delimiter=";")
    stream = FilesPushStream("verifications")
    extra = OutgoingRecord("k", "k@1", {**person(5).payload, "备注": "x"})
    outcomes = stream.send(ctx, [person(0), extra])
    stream.close(ctx)
    assert outcomes[0].status is PushStatus.ACCEPTED
    assert outcomes[1].status is PushStatus.REJECTED
    assert outcomes[1].reason == "fields not in the file's header: 备注"
    text = (tmp_path / "out" / "verify_push-r1.csv").read_bytes().decode("gb18030")
    assert text == "身份证号;姓名;核验日期\r\n520102199000000000;测试0;2024-03-01\r\n"


def test_xlsx_header_receipts_and_atomic_publish(tmp_path: Path) -> None:
    """XLSX output appears on close with a header row, receipts from row 2, real date cells."""
    ctx = make_ctx(tmp_path, format="xlsx", sheet="核验")
    stream = FilesPushStream("verifications")
    record = OutgoingRecord("k", "k@1", {"身份证号": 520102199000000007, "人数": 3})
    outcomes = stream.send(ctx, [person(0), person(1)])
    outcomes += stream.send(ctx, [OutgoingRecord("n", "n@1", {"身份证号": "x"}), record])
    final = tmp_path / "out" / "verify_push-r1.xlsx"
    assert not final.exists()
    stream.close(ctx)
    assert [o.receipt for o in outcomes[:3]] == [f"{final.name}#{n}" for n in (2, 3, 4)]
    assert outcomes[3].status is PushStatus.REJECTED
    book = openpyxl.load_workbook(final, read_only=True)
    rows = list(book["核验"].values)
    book.close()
    assert rows[0] == ("身份证号", "姓名", "核验日期")
    assert rows[1][:2] == ("520102199000000000", "测试0")
    assert rows[1][2] is not None
    assert rows[1][2].date() == date(2024, 3, 1)  # type: ignore[union-attr]
    assert rows[3][0] == "x"
    assert all(value is None for value in rows[3][1:])
    assert not list((tmp_path / "out").glob(".*"))


def test_xlsx_stores_long_integers_as_text(tmp_path: Path) -> None:
    """An 18-digit integer payload value is written as text so Excel keeps every digit."""
    ctx = make_ctx(tmp_path, format="xlsx")
    stream = FilesPushStream("verifications")
    stream.send(ctx, [OutgoingRecord("k", "k@1", {"身份证号": 520102199000000007, "人数": 3})])
    stream.close(ctx)
    book = openpyxl.load_workbook(tmp_path / "out" / "verify_push-r1.xlsx", read_only=True)
    rows = list(book.worksheets[0].values)
    book.close()
    assert rows[1] == ("520102199000000007", 3)


def test_resend_in_the_same_run_gets_the_first_receipt(tmp_path: Path) -> None:
    """A record sent again with the same idempotency key in one run is not written twice."""
    ctx = make_ctx(tmp_path)
    stream = FilesPushStream("verifications")
    first = stream.send(ctx, [person(0), person(1)])
    again = stream.send(ctx, [person(1), person(2), person(2)])
    stream.close(ctx)
    assert receipts(again) == [first[1].receipt, *[f"verify_push-r1.jsonl#{3}"] * 2]
    assert len((tmp_path / "out" / "verify_push-r1.jsonl").read_bytes().splitlines()) == 3
    assert [e.record_count for e in ctx.exchanges.drain()] == [2, 1]


def test_runs_keep_separate_files_and_state(tmp_path: Path) -> None:
    """One stream object serves interleaved runs, each with its own file and receipts."""
    stream = FilesPushStream("verifications")
    one, two = make_ctx(tmp_path, "r1"), make_ctx(tmp_path, "r2")
    stream.send(one, [person(0)])
    assert receipts(stream.send(two, [person(0)])) == ["verify_push-r2.jsonl#1"]
    stream.send(one, [person(1)])
    stream.close(two)
    stream.close(one)
    assert len((tmp_path / "out" / "verify_push-r1.jsonl").read_bytes().splitlines()) == 2
    assert len((tmp_path / "out" / "verify_push-r2.jsonl").read_bytes().splitlines()) == 1


def test_file_name_template(tmp_path: Path) -> None:
    """file_name may use job, run_id, stream, platform and ext."""
    ctx = make_ctx(tmp_path, file_name="{platform}_{stream}_{run_id}.{ext}")
    stream = FilesPushStream("verifications")
    assert receipts(stream.send(ctx, [person(0)])) == ["bureau_outbox_verifications_r1.jsonl#1"]
    stream.close(ctx)
    assert (tmp_path / "out" / "bureau_outbox_verifications_r1.jsonl").exists()


@pytest.mark.parametrize(
    "template", ["{user}.csv", "../{job}.csv", "sub/{job}.csv", ".{job}", "{job"]
)
def test_bad_file_name_is_a_config_error(tmp_path: Path, template: str) -> None:
    """Unknown placeholders and names outside the outbox are configuration errors."""
    ctx = make_ctx(tmp_path, file_name=template)
    with pytest.raises(ConfigError, match="file_name"):
        FilesPushStream("verifications").send(ctx, [person(0)])


def test_existing_outbox_file_is_never_overwritten(tmp_path: Path) -> None:
    """A final file already in the outbox fails the send instead of being replaced."""
    ctx = make_ctx(tmp_path, file_name="fixed.jsonl")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "fixed.jsonl").write_text("earlier\n", encoding="utf-8")
    with pytest.raises(PermanentError, match="already exists"):
        FilesPushStream("verifications").send(ctx, [person(0)])
    assert (tmp_path / "out" / "fixed.jsonl").read_text(encoding="utf-8") == "earlier\n"


def test_close_without_records_creates_no_file(tmp_path: Path) -> None:
    """A run that sent nothing leaves the outbox empty."""
    ctx = make_ctx(tmp_path)
    stream = FilesPushStream("verifications")
    stream.send(ctx, [])
    stream.close(ctx)
    stream.close(ctx)
    assert list((tmp_path / "out").iterdir()) == []


def test_unknown_write_option_is_a_config_error(tmp_path: Path) -> None:
    """A typo in the job's options names the key; the runtime's page_size is tolerated."""
    ctx = make_ctx(tmp_path, fromat="csv", page_size=500)
    with pytest.raises(ConfigError, match="fromat"):
        FilesPushStream("verifications").send(ctx, [person(0)])
    ctx.options = {"page_size": 500}
    stream = FilesPushStream("verifications")
    assert receipts(stream.send(ctx, [person(0)])) == ["verify_push-r1.jsonl#1"]
    stream.close(ctx)


def test_failed_batch_is_cut_off_and_can_be_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed write is not acknowledged, leaves no bytes, and a retry writes the batch once."""
    ctx = make_ctx(tmp_path, format="csv")
    stream = FilesPushStream("verifications")
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("adapters.files.writer.os.fsync", failing_fsync)
    with pytest.raises(PermanentError, match="cannot write"):
        stream.send(ctx, [person(0)])
    monkeypatch.setattr("adapters.files.writer.os.fsync", real_fsync)
    assert receipts(stream.send(ctx, [person(0), person(1)])) == [
        "verify_push-r1.csv#2",
        "verify_push-r1.csv#3",
    ]
    stream.close(ctx)
    data = (tmp_path / "out" / "verify_push-r1.csv").read_bytes()
    assert data.count(codecs.BOM_UTF8) == 1
    assert data.decode("utf-8-sig").splitlines()[0] == "身份证号,姓名,核验日期"
    assert len(data.splitlines()) == 3


def test_jsonl_value_that_is_not_json_is_rejected(tmp_path: Path) -> None:
    """A payload that cannot be represented as JSON is rejected alone; the batch goes on."""
    ctx = make_ctx(tmp_path)
    stream = FilesPushStream("verifications")
    odd = OutgoingRecord("k", "k@1", {"value": object()})
    outcomes = stream.send(ctx, [odd, person(0)])
    stream.close(ctx)
    assert [o.status for o in outcomes] == [PushStatus.REJECTED, PushStatus.ACCEPTED]
    assert outcomes[1].receipt == "verify_push-r1.jsonl#1"


DEAD_RUN = """
import os, sys
from types import SimpleNamespace
from adapters.files import FilesPushStream
from gateway.adapter import ExchangeRecorder, OutgoingRecord, StreamContext

ctx = StreamContext(
    job="verify_push", run_id="dead", platform_name="bureau_outbox",
    platform=SimpleNamespace(options={"outbox": sys.argv[1]}),
    options={"format": sys.argv[2]}, exchanges=ExchangeRecorder(),
)
stream = FilesPushStream("verifications")
for n in range(2):
    stream.send(ctx, [OutgoingRecord(f"k{n}", f"idem-{n}", {"n": n, "name": f"测试{n}"})])
os._exit(0)  # dies like kill -9: acknowledged, never closed
"""


def die_after_two_batches(outbox: Path, fmt: str) -> None:
    root = ROOT
    subprocess.run(
        [sys.executable, "-c", DEAD_RUN, str(outbox), fmt], cwd=root, check=True, timeout=60
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_next_run_publishes_what_a_dead_run_acknowledged(tmp_path: Path, fmt: str) -> None:
    """A run killed before close leaves a journal; the next run publishes its acknowledged rows."""
    outbox = tmp_path / "out"
    die_after_two_batches(outbox, fmt)
    name = f"verify_push-dead.{fmt}"
    part = outbox / f".{name}.part"
    assert part.exists()
    assert not (outbox / name).exists()
    with part.open("ab") as handle:
        handle.write(b'["torn batch, never acknowledged"')
    ctx = make_ctx(tmp_path, "next", format=fmt)
    stream = FilesPushStream("verifications")
    first_row = 1 if fmt == "jsonl" else 2
    answers = stream.lookup(ctx, ["idem-1", "idem-2"])
    assert answers is not None
    assert [(a.status, a.receipt) for a in answers] == [
        (PushStatus.ACCEPTED, f"{name}#{first_row + 1}"),
        (PushStatus.UNKNOWN, None),
    ]
    stream.close(ctx)
    assert sorted(p.name for p in outbox.iterdir()) == [name]
    assert [e.operation for e in ctx.exchanges.drain()] == ["file.recover"]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(outbox / name, read_only=True)
        rows = list(book.worksheets[0].values)
        book.close()
        assert rows == [("n", "name"), (0, "测试0"), (1, "测试1")]
    elif fmt == "csv":
        assert (outbox / name).read_bytes().decode("utf-8-sig").splitlines() == [
            "n,name",
            "0,测试0",
            "1,测试1",
        ]
    else:
        lines = (outbox / name).read_bytes().splitlines()
        assert [orjson.loads(line) for line in lines] == [
            {"n": 0, "name": "测试0"},
            {"n": 1, "name": "测试1"},
        ]


def test_recovery_leaves_other_jobs_alone(tmp_path: Path) -> None:
    """A dead run of another job is not this job's to publish."""
    outbox = tmp_path / "out"
    die_after_two_batches(outbox, "jsonl")
    ctx = make_ctx(tmp_path, "next")
    ctx.job = "another_job"
    stream = FilesPushStream("verifications")
    stream.close(ctx)
    assert (outbox / ".verify_push-dead.jsonl.part").exists()
    assert not (outbox / "verify_push-dead.jsonl").exists()


def test_journal_ignores_a_torn_last_line_and_keeps_no_raw_keys(tmp_path: Path) -> None:
    """The journal holds key digests only, and a line cut by a crash is not trusted."""
    final = tmp_path / "f.jsonl"
    journal = Journal(final, {"job": "j", "stream": "s", "run_id": "r", "format": "jsonl"})
    journal.append(10, 1, {"520102199000000000@2024": "f.jsonl#1"})
    journal.append(20, 2, {"520102199000000001@2024": "f.jsonl#2"})
    with journal_path(final).open("ab") as handle:
        handle.write(b'{"size": 30, "rows"')
    assert b"520102199000000001" not in journal_path(final).read_bytes()
    state = read_journal(journal_path(final))
    assert state is not None
    assert (state.size, state.rows) == (20, 2)
    assert state.last_keys == {key_digest("520102199000000001@2024"): "f.jsonl#2"}
    assert state.header["job"] == "j"
    journal.remove()
    assert not journal_path(final).exists()


def test_journal_of_another_version_is_not_read(tmp_path: Path) -> None:
    """A journal written by a different format version is left alone, not misread."""
    path = tmp_path / ".f.jsonl.journal"
    path.write_bytes(b'{"v": 2, "job": "j"}\n{"size": 1, "rows": 1, "keys": {}}\n')
    assert read_journal(path) is None
