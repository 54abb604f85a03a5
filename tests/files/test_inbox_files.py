"""Every row of the files desks really produce ends in the store or the dead-letter queue.

Each case writes real files into a real inbox, runs the job, and checks that stored records
plus dead letters equal the rows written, the run's outcome and its exit code; then runs the
job again (and from the start) and checks that no dead letter is doubled.
"""

from __future__ import annotations

import codecs
import subprocess
import sys

import pytest
from sqlalchemy import select

from gateway.store import Store, schema
from tests.helpers.inbox import HEADER, Inbox, csv_bytes, person_rows, workbook


def settle_twice(inbox: Inbox, letters: int) -> None:
    """A second run, and a run from the start, add no dead letter."""
    again, _ = inbox.sync()
    assert again.status == "succeeded"
    assert inbox.counts()[1] == letters
    inbox.sync(reset=True)
    assert inbox.counts()[1] == letters


def test_utf8_file_with_one_gb18030_cell_loses_only_that_row(inbox: Inbox) -> None:
    """50,000 UTF-8 rows, one cell in GB18030 bytes: 49,999 stored, 1 letter with its bytes."""
    rows = person_rows(50_300)[:50_000]
    lines = [",".join(HEADER).encode(), *(",".join(row).encode() for row in rows)]
    lines[30_001] = ",".join(rows[30_000][:5]).encode() + b"," + rows[30_000][5].encode("gb18030")
    body = b"\r\n".join(lines) + b"\r\n"
    inbox.drop("verifications.csv", body)
    summary, code = inbox.sync()
    assert inbox.counts() == (49_999, 1)
    assert (summary.status, code, summary.read, summary.unreadable) == ("partial", 1, 50_000, 1)
    [letter] = inbox.letters()
    assert letter["source"] == "verifications.csv#30002"
    assert "not utf-8 text in column 6" in letter["reasons"]
    assert (inbox.folder / "processed" / "verifications.csv").exists()
    settle_twice(inbox, 1)


@pytest.mark.parametrize(
    ("name", "encoding", "bom", "delimiter"),
    [
        ("gb18030-bom.csv", "gb18030", b"\x84\x31\x95\x33", ","),
        ("unicode-text.txt", "utf-16-le", codecs.BOM_UTF16_LE, "\t"),
        ("utf16be.csv", "utf-16-be", codecs.BOM_UTF16_BE, ","),
        ("semicolon.csv", "utf-8", codecs.BOM_UTF8, ";"),
        ("tab.tsv", "gb18030", b"", "\t"),
        ("pipe.txt", "utf-8", b"", "|"),
    ],
)
def test_desktop_encodings_and_delimiters_load_every_row(
    inbox: Inbox, name: str, encoding: str, bom: bytes, delimiter: str
) -> None:
    """BOMs of GB18030 and UTF-16 are stripped, the delimiter is found: every row stored."""
    rows = person_rows(300)
    inbox.drop(name, bom + csv_bytes(rows, encoding=encoding, delimiter=delimiter))
    summary, code = inbox.sync()
    assert inbox.counts() == (300, 0)
    assert (summary.status, code, summary.read) == ("succeeded", 0, 300)
    settle_twice(inbox, 0)


def test_crlf_file_with_a_quoted_newline_keeps_the_cell_whole(inbox: Inbox) -> None:
    """A line break quoted inside a cell is part of the cell, not a new row."""
    rows = person_rows(50)
    rows[10][3] = '"凯里市\r\n第二行"'
    inbox.drop("quoted.csv", csv_bytes(rows))
    summary, code = inbox.sync()
    assert inbox.counts() == (50, 0)
    assert (summary.status, code) == ("succeeded", 0)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "missing header"),
        (
            "twice.csv",
            ",".join([*HEADER, "核查人"]).encode() + b"\r\n1,2,3,4,5,6,7\r\n",
            "duplicate",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_a_dead_letter_of_its_own(
    inbox: Inbox, name: str, content: bytes, reason: str
) -> None:
    """0-byte file, duplicate header: one whole-file letter, failed/ with a reason, partial."""
    inbox.drop(name, content)
    summary, code = inbox.sync()
    assert inbox.counts() == (0, 1)
    assert (summary.status, code, summary.unreadable) == ("partial", 1, 1)
    assert "dlq list" in str(summary.error)
    [letter] = inbox.letters()
    assert (letter["source"], letter["rules"]) == (name, "(file):unreadable")
    assert reason in letter["reasons"]
    assert (inbox.folder / "failed" / name).exists()
    assert reason in (inbox.folder / "failed" / f"{name}.reason.txt").read_text("utf-8")
    settle_twice(inbox, 1)
    inbox.drop(f"copy-of-{name}", content)
    inbox.sync()
    assert inbox.counts()[1] == 1


def test_rows_with_too_many_or_too_few_columns_keep_their_cells(inbox: Inbox) -> None:
    """Each bad row is one letter holding every cell; the other rows are stored."""
    rows = person_rows(20)
    lines = csv_bytes(rows).decode().split("\r\n")
    lines[3] += ",多余"
    lines[5] = ",".join(lines[5].split(",")[:4])
    inbox.drop("columns.csv", "\r\n".join(lines).encode())
    summary, code = inbox.sync()
    assert inbox.counts() == (18, 2)
    assert (summary.status, code, summary.unreadable) == ("partial", 1, 2)
    reasons = sorted(letter["reasons"] for letter in inbox.letters())
    assert "expected 6 columns, found 4" in reasons[0]
    assert "expected 6 columns, found 7" in reasons[1]
    raws = sorted((letter["raw"] for letter in inbox.letters()), key=len)
    assert '"工作地点"' in raws[0]
    assert '"核查时间"' not in raws[0]
    assert '"__cells__":["多余"]' in raws[1]
    settle_twice(inbox, 2)


def test_an_id_number_excel_turned_into_a_number_says_so(inbox: Inbox) -> None:
    """5.22601E+17 in the ID column: one letter whose reason says Excel did it, and what to do."""
    rows = person_rows(3)
    rows[1][0] = "5.22601E+17"
    inbox.drop("excel.csv", csv_bytes(rows))
    summary, code = inbox.sync()
    assert inbox.counts() == (2, 1)
    assert (summary.status, code, summary.rejected) == ("succeeded", 0, 1)
    [letter] = inbox.letters()
    assert "excel_number" in letter["reasons"]
    assert "format the column as Text" in letter["reasons"]


def test_reingest_admits_a_processed_file_again_as_an_audited_action(inbox: Inbox) -> None:
    """gateway files reingest: the file is read again on the next run, letters not doubled."""
    rows = person_rows(20)
    rows[3][0] = "123"
    inbox.drop("again.csv", csv_bytes(rows))
    inbox.sync()
    assert inbox.counts() == (19, 1)
    assert inbox.sync()[0].read == 0
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "files", "reingest", "load", "again.csv",
         "--config", str(inbox.config_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (inbox.folder / "again.csv").exists()
    summary, code = inbox.sync()
    assert (summary.read, summary.unchanged, code) == (20, 19, 0)
    assert inbox.counts() == (19, 1)
    assert inbox.letters()[0]["attempts"] == 2
    audit = subprocess.run(
        [sys.executable, "-m", "gateway", "audit", "verify", "--config", str(inbox.config_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_a_workbook_with_a_notes_sheet_first_reads_the_data_sheet(inbox: Inbox) -> None:
    """No sheet option, notes first and data second: the sheet with the mapped header is read."""
    rows = person_rows(40)
    inbox.drop("book.xlsx", workbook({"说明": [["填表说明"]], "数据": [HEADER, *rows]}))
    summary, code = inbox.sync()
    assert inbox.counts() == (40, 0)
    assert (summary.status, code) == ("succeeded", 0)
    # The choice is recorded in the file's audit entry.
    store = Store(f"sqlite:///{inbox.root / 'store.db'}")
    try:
        with store.connect() as conn:
            details = conn.execute(
                select(schema.audit_log.c.detail).where(schema.audit_log.c.operation == "file.read")
            ).scalars()
            assert "sheet='数据'" in list(details)
    finally:
        store.close()


def test_a_workbook_with_two_data_sheets_and_no_sheet_option_is_refused(inbox: Inbox) -> None:
    """Two sheets with the header: one whole-file letter naming both sheets, failed/, partial."""
    rows = person_rows(10)
    inbox.drop("two.xlsx", workbook({"一": [HEADER, *rows[:5]], "二": [HEADER, *rows[5:]]}))
    summary, code = inbox.sync()
    assert inbox.counts() == (0, 1)
    assert (summary.status, code) == ("partial", 1)
    assert "一, 二" in inbox.letters()[0]["reasons"]
    settle_twice(inbox, 1)


def test_a_workbook_with_merged_cells_is_refused_with_the_range(inbox: Inbox) -> None:
    """Merged cells: one whole-file letter naming the range; merged_cells: fill reads it."""
    rows = person_rows(4)
    inbox.drop("merged.xlsx", workbook({"数据": [HEADER, *rows]}, merge="C2:C3"))
    summary, code = inbox.sync()
    assert inbox.counts() == (0, 1)
    assert (summary.status, code) == ("partial", 1)
    assert "C2:C3" in inbox.letters()[0]["reasons"]
    inbox.configure(merged_cells="fill")
    inbox.drop("merged-again.xlsx", workbook({"数据": [HEADER, *rows[:3]]}, merge="C2:C3"))
    summary, code = inbox.sync()
    assert (summary.status, code, summary.read) == ("succeeded", 0, 3)
