"""Reading single inbox files: encodings, CSV/JSONL/XLSX parsing, row numbers, malformed rows."""

from __future__ import annotations

import base64
import codecs
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from adapters.files.encoding import SNIFF_BYTES, TextEncoding, detect_encoding
from adapters.files.errors import FileReadError
from adapters.files.options import ReadOptions
from adapters.files.readers import file_format, read_rows
from adapters.files.rows import ERROR_FIELD
from adapters.files.xlsx import cell_text

# Synthetic people: the ID numbers follow the format only, and belong to no one.
PEOPLE = [
    ("测试甲", "520102199001010011", "已核验"),
    ("测试乙", "52010219900101002X", "未核验"),
    ("测试丙", "520102199001010038", "核验失败"),
]
HEADER = ("姓名", "身份证号", "核验状态")


def csv_text(rows: Sequence[tuple[str, ...]]) -> str:
    return "".join(",".join(row) + "\r\n" for row in [HEADER, *rows])


def read_all(path: Path, **options: object) -> list[tuple[int, dict[str, object]]]:
    opts = ReadOptions.model_validate({"pattern": "*", **options})
    return [(row.number, row.record) for row in read_rows(path, opts)]


def expected_records() -> list[tuple[int, dict[str, object]]]:
    return [(n, dict(zip(HEADER, person, strict=True))) for n, person in enumerate(PEOPLE, 2)]


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gb18030"], ids=["utf8", "utf8-bom", "gb18030"]
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    """UTF-8, UTF-8 with BOM and GB18030 CSVs with Chinese headers all read the same records."""
    path = tmp_path / "people.csv"
    path.write_bytes(csv_text(PEOPLE).encode(encoding))
    assert read_all(path) == expected_records()


def test_explicit_gb18030_encoding(tmp_path: Path) -> None:
    """The job's encoding option overrides detection."""
    path = tmp_path / "people.csv"
    path.write_bytes(csv_text(PEOPLE).encode("gb18030"))
    assert read_all(path, encoding="gb18030") == expected_records()


def test_detection_rules() -> None:
    """BOM wins, UTF-8 next, GB18030 last; a chunk cut inside a character is still UTF-8."""
    utf8 = "核验".encode()
    assert detect_encoding(codecs.BOM_UTF8 + utf8, "auto") == TextEncoding("utf-8", 3)
    assert detect_encoding(utf8[:-1], "auto") == TextEncoding("utf-8")
    assert detect_encoding("核验".encode("gb18030"), "auto") == TextEncoding("gb18030")
    assert detect_encoding(b"plain ascii", "utf-8") == TextEncoding("utf-8")
    gb_bom = b"\x84\x31\x95\x33"
    assert detect_encoding(gb_bom + "核验".encode("gb18030"), "auto") == TextEncoding("gb18030", 4)
    assert detect_encoding(gb_bom + b"x", "gb18030") == TextEncoding("gb18030", 4)
    assert detect_encoding(codecs.BOM_UTF16_LE + "核".encode("utf-16-le"), "auto") == (
        TextEncoding("utf-16-le", 2)
    )
    assert detect_encoding(codecs.BOM_UTF16_BE + "核".encode("utf-16-be"), "auto") == (
        TextEncoding("utf-16-be", 2)
    )
    mixed = "姓名\n测试甲\n".encode() + "测试乙\n".encode("gb18030")
    assert detect_encoding(mixed, "auto") == TextEncoding("utf-8")
    with pytest.raises(FileReadError, match="binary"):
        detect_encoding(b"PK\x03\x04\x00\x00", "auto")


def test_gb18030_row_after_first_chunk_costs_only_its_row(tmp_path: Path) -> None:
    """GB18030 text past the sniffed chunk is one error record keeping its bytes; rows go on."""
    filler = [("测试", f"5201021990010{n:05d}", "ascii") for n in range(SNIFF_BYTES // 20)]
    path = tmp_path / "late.csv"
    path.write_bytes(
        "".join(",".join(r) + "\n" for r in [HEADER, *filler]).encode()
        + "测试丁,520102199001019999,已核验\n".encode("gb18030")
    )
    opts = ReadOptions(pattern="*")
    rows = list(read_rows(path, opts))
    assert len(rows) == len(filler) + 1
    bad = rows[-1].record
    assert bad[ERROR_FIELD] == "bytes that are not utf-8 text in column 1"
    assert "520102" not in bad[ERROR_FIELD]
    raw = base64.b64decode(bad["__bytes__"]["姓名"])
    assert raw.decode("gb18030") == "测试丁"


def test_csv_row_with_wrong_column_count_is_an_error_record(tmp_path: Path) -> None:
    """A short or long row is an error record whose reason quotes no cell, keeping its cells."""
    path = tmp_path / "bad.csv"
    path.write_text(csv_text([PEOPLE[0][:2], PEOPLE[1], (*PEOPLE[2], "extra")]), encoding="utf-8")
    rows = read_all(path)
    assert rows[0] == (
        2,
        {
            **dict(zip(HEADER, PEOPLE[0][:2], strict=False)),
            ERROR_FIELD: "expected 3 columns, found 2",
        },
    )
    assert rows[1] == expected_records()[1]
    assert rows[2] == (
        4,
        {
            **dict(zip(HEADER, PEOPLE[2], strict=True)),
            ERROR_FIELD: "expected 3 columns, found 4",
            "__cells__": ["extra"],
        },
    )


def test_csv_blank_rows_skipped_and_numbering_kept(tmp_path: Path) -> None:
    """Blank and all-empty rows are skipped, yet later rows keep the number a person sees."""
    path = tmp_path / "gaps.csv"
    text = csv_text([PEOPLE[0]]) + "\r\n,,\r\n" + ",".join(PEOPLE[1]) + "\r\n\r\n\r\n"
    path.write_text(text, encoding="utf-8")
    assert [n for n, _ in read_all(path)] == [2, 5]


def test_csv_trailing_empty_columns_and_delimiter(tmp_path: Path) -> None:
    """A trailing delimiter is tolerated and the delimiter option is honoured."""
    path = tmp_path / "semi.csv"
    path.write_text("a;b;\r\n1;2;\r\n3;4\r\n", encoding="utf-8")
    assert read_all(path, delimiter=";") == [(2, {"a": "1", "b": "2"}), (3, {"a": "3", "b": "4"})]


def test_tsv_defaults_to_tab(tmp_path: Path) -> None:
    """A .tsv file is read with tabs without any option."""
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\t2\n", encoding="utf-8")
    assert read_all(path) == [(2, {"a": "1", "b": "2"})]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "missing header"),
        (b"\r\n1,2\r\n", "missing header"),
        (b"a,,b\r\n1,2,3\r\n", "empty column name"),
        (b"a,b,a\r\n1,2,3\r\n", "duplicate column name"),
    ],
    ids=["empty", "blank-first-row", "empty-name", "duplicate-name"],
)
def test_csv_header_problems_fail_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    """A file without a usable header cannot be read."""
    path = tmp_path / "h.csv"
    path.write_bytes(content)
    with pytest.raises(FileReadError, match=reason):
        read_all(path)


def test_jsonl_malformed_lines_become_error_records(tmp_path: Path) -> None:
    """Invalid JSON and non-object lines are error records with their line number."""
    path = tmp_path / "v.jsonl"
    path.write_text(
        '{"id": "520102199001010011", "n": 1}\n'
        "\n"
        '{"id": "5201021990010100\n'
        "[1, 2]\n"
        '{"id": "520102199001010038", "ok": true}\n',
        encoding="utf-8",
    )
    rows = read_all(path)
    assert [n for n, _ in rows] == [1, 3, 4, 5]
    assert rows[0][1] == {"id": "520102199001010011", "n": 1}
    assert str(rows[1][1][ERROR_FIELD]).startswith("invalid JSON")
    assert "520102" not in str(rows[1][1][ERROR_FIELD])
    assert rows[2][1] == {
        ERROR_FIELD: "line is an array, not a JSON object",
        "__cells__": ["[1, 2]\n"],
    }
    assert rows[3][1] == {"id": "520102199001010038", "ok": True}


def test_skip_resumes_by_position(tmp_path: Path) -> None:
    """Skipping N data rows starts at data row N+1, counting blank rows as rows."""
    path = tmp_path / "s.csv"
    path.write_text(csv_text([PEOPLE[0]]) + "\r\n" + ",".join(PEOPLE[2]) + "\r\n", "utf-8")
    opts = ReadOptions(pattern="*")
    rows = list(read_rows(path, opts, skip=2))
    assert [(r.number, r.position) for r in rows] == [(4, 3)]


def write_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "人员"
    sheet.append(["姓名", "身份证号", "出生日期", "核验时间", "人数", "比例", "备注"])
    sheet.append(
        ["测试甲", 520102199001010011, date(1990, 1, 1), datetime(2024, 3, 5, 9, 30), 3, 0.5]
    )
    sheet.append([None] * 7)
    sheet.append(["测试乙", 5.20102199001011e17, datetime(2024, 3, 6), None, 12.0, 1e-05, "x"])
    sheet.append([None] * 7)
    other = book.create_sheet("其他")
    other.append(["编号"])
    other.append(["A-1"])
    book.save(path)


def test_xlsx_cells_become_text_a_person_sees(tmp_path: Path) -> None:
    """Numbers never show an exponent, dates are ISO, blank rows are skipped, numbering is kept."""
    path = tmp_path / "people.xlsx"
    write_workbook(path)
    rows = read_all(path, sheet="人员")
    assert rows == [
        (
            2,
            {
                "姓名": "测试甲",
                # Like Excel, openpyxl stores 15 significant digits; the check digit is lost there.
                "身份证号": "520102199001010000",
                "出生日期": "1990-01-01",
                "核验时间": "2024-03-05 09:30:00",
                "人数": "3",
                "比例": "0.5",
                "备注": "",
            },
        ),
        (
            4,
            {
                "姓名": "测试乙",
                "身份证号": "520102199001011000",
                "出生日期": "2024-03-06",
                "核验时间": "",
                "人数": "12",
                "比例": "0.00001",
                "备注": "x",
            },
        ),
    ]


def test_xlsx_integer_written_whole_by_other_software_stays_18_digits(tmp_path: Path) -> None:
    """An 18-digit number stored whole is read as 18 digits, never an exponent.

    Spreadsheet numbers are doubles: digits past the 17th cannot survive, so the ID number's
    check digit (not the reader) is what refuses such a row.
    """
    path = tmp_path / "people.xlsx"
    write_workbook(path)
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>5.2010219900101e+17</v>", b"<v>520102199001010011</v>")
            target.writestr(item, data)
    value = read_all(patched, sheet="人员")[0][1]["身份证号"]
    assert len(value) == 18
    assert value.startswith("5201021990010100")


def test_xlsx_sheet_option(tmp_path: Path) -> None:
    """The sheet option picks a sheet by name; an unknown sheet fails the file."""
    path = tmp_path / "people.xlsx"
    write_workbook(path)
    assert read_all(path, sheet="其他") == [(2, {"编号": "A-1"})]
    with pytest.raises(FileReadError, match="no worksheet"):
        read_all(path, sheet="missing")


def test_xlsx_with_several_sheets_and_no_sheet_option(tmp_path: Path) -> None:
    """No sheet option: the one sheet with the mapped header is read, else the file is refused."""
    path = tmp_path / "people.xlsx"
    write_workbook(path)
    with pytest.raises(FileReadError, match="several sheets") as caught:
        read_all(path)
    assert "人员, 其他" in str(caught.value)
    found = list(
        read_rows(path, ReadOptions(pattern="*"), expected=frozenset({"姓名", "身份证号"}))
    )
    assert found[0].record["姓名"] == "测试甲"


def test_xlsx_merged_cells_are_refused_or_filled(tmp_path: Path) -> None:
    """Merged cells fail the file naming their range, unless merged_cells: fill copies them."""
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["单位", "姓名"])
    sheet.append(["凯里市", "测试甲"])
    sheet.append([None, "测试乙"])
    sheet.merge_cells("A2:A3")
    book.save(path)
    with pytest.raises(FileReadError, match="merged cells") as caught:
        read_all(path)
    assert "A2:A3" in str(caught.value)
    filled = list(read_rows(path, ReadOptions(pattern="*", merged_cells="fill")))
    assert [row.record["单位"] for row in filled] == ["凯里市", "凯里市"]


def test_xlsx_that_is_not_a_workbook_fails(tmp_path: Path) -> None:
    """A file named .xlsx that is not a workbook cannot be read."""
    path = tmp_path / "fake.xlsx"
    path.write_text("姓名,身份证号\n", encoding="utf-8")
    with pytest.raises(FileReadError, match="not a readable XLSX"):
        read_all(path)


def test_cell_text_conversions() -> None:
    """Cell values become the text Excel shows, never exponent notation."""
    assert cell_text(None) == ""
    assert cell_text(True) == "TRUE"
    assert cell_text(13800001111) == "13800001111"
    assert cell_text(1.25) == "1.25"
    assert cell_text(1e20) == "100000000000000000000"
    assert cell_text(datetime(2024, 1, 1, 23, 59, 59, 999_600)) == "2024-01-02"
    assert cell_text(datetime(2024, 1, 1, 8, 0, 0, 400_000)) == "2024-01-01 08:00:00"


def test_format_by_extension() -> None:
    """auto picks the format from the extension and refuses unknown or legacy types."""
    assert file_format(Path("a.CSV"), "auto") == "csv"
    assert file_format(Path("a.ndjson"), "auto") == "jsonl"
    assert file_format(Path("a.xlsx"), "auto") == "xlsx"
    assert file_format(Path("a.dat"), "csv") == "csv"
    with pytest.raises(FileReadError, match=r"\.xls"):
        file_format(Path("a.xls"), "auto")
    with pytest.raises(FileReadError, match="unknown file type"):
        file_format(Path("a.pdf"), "auto")
