"""The configured logging chain masks personal data and drops secrets before any handler writes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from gateway.adapter import Direction, Exchange
from gateway.logging import bind_run, configure_logging, get_logger, unbind_run
from gateway.masking import pii_name

ID = "11010519491231002X"
PHONE = "13812345678"
SECRET = "app-secret-7f3a9c1e"


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """Each test configures logging afresh; the root handlers and structlog are reset after."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def _lines(path: Path) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    """The JSON log file of a chain configured with one secret."""
    path = tmp_path / "logs" / "gateway.log"
    configure_logging("DEBUG", "json", path, secrets=[SECRET])
    return path


def test_id_numbers_and_phones_are_masked_everywhere(log_file: Path) -> None:
    """Event text, values, nested records and dict keys all reach the file masked."""
    get_logger("t").info(
        f"rejected {ID}",
        record={"AAC002": ID, "phone": PHONE, ID: "as a key"},
        note=f"call +86{PHONE}",
        numbers=[int(PHONE)],
    )
    text = log_file.read_text(encoding="utf-8")
    assert ID not in text
    assert PHONE not in text
    [line] = _lines(log_file)
    assert line["event"] == "rejected 110***********002X"
    assert line["record"]["AAC002"] == "110***********002X"
    assert line["record"]["phone"] == "138****5678"
    assert line["record"]["110***********002X"] == "as a key"
    assert line["numbers"] == ["138****5678"]


def test_names_are_masked_by_key_and_by_mark(log_file: Path) -> None:
    """``name``/``*_name`` keys and Pii-marked values are masked; technical names are not."""
    get_logger("t").info(
        "person", name="张三丰", contact_name="李四", holder=pii_name("王五"), job_name="persons"
    )
    [line] = _lines(log_file)
    assert (line["name"], line["contact_name"], line["holder"]) == ("张**", "李*", "王*")
    assert line["job_name"] == "persons"
    assert "张三丰" not in log_file.read_text(encoding="utf-8")


def test_secrets_are_dropped_by_value_key_and_url(log_file: Path) -> None:
    """A secret in text or an exception, a credential-named key and a signed URL are redacted."""
    get_logger("t").warning(
        f"auth failed with {SECRET}",
        app_secret="anything",
        headers={"X-Signature": "abcd1234", "X-App-Key": "lf-app"},
        url="https://lf.example/api?page=1&sign=deadbeef",
        error=RuntimeError(f"refused {SECRET} for {ID}"),
    )
    [line] = _lines(log_file)
    assert line["error"] == "RuntimeError: refused [secret] for 110***********002X"
    assert line["event"] == "auth failed with [secret]"
    assert line["app_secret"] == "[secret]"
    assert line["headers"] == {"X-Signature": "[secret]", "X-App-Key": "lf-app"}
    assert line["url"] == "https://lf.example/api?page=1&sign=[secret]"
    assert SECRET not in log_file.read_text(encoding="utf-8")


def test_exceptions_are_rendered_scrubbed(log_file: Path) -> None:
    """A traceback whose message holds an ID number and a secret is written masked."""
    try:
        raise ValueError(f"bad record {ID} signed with {SECRET}")
    except ValueError:
        get_logger("t").exception("mapping failed")
    [line] = _lines(log_file)
    assert "ValueError: bad record 110***********002X signed with [secret]" in line["exception"]
    assert ID not in line["exception"]


def test_standard_library_records_go_through_the_same_chain(log_file: Path) -> None:
    """A library's stdlib records, with %-args and exc_info, are masked too."""
    try:
        raise RuntimeError(f"peer sent {PHONE}")
    except RuntimeError:
        logging.getLogger("some.library").error("client %s failed", ID, exc_info=True)
    [line] = _lines(log_file)
    assert line["event"] == "client 110***********002X failed"
    assert "138****5678" in line["exception"]
    assert PHONE not in log_file.read_text(encoding="utf-8")


def test_bytes_and_objects_are_masked_in_their_rendering(log_file: Path) -> None:
    """A body as bytes and an object whose repr holds a record come out masked."""
    exchange = Exchange(
        platform="labor_force",
        direction=Direction.PULL,
        operation="persons.list",
        endpoint="/persons",
        response_body=f'{{"AAC002":"{ID}"}}\n'.encode(),
    )
    get_logger("t").debug("exchange", body=exchange.response_body, exchange=exchange)
    text = log_file.read_text(encoding="utf-8")
    assert ID not in text
    assert text.count("110***********002X") == 2


def test_digests_and_plain_values_pass_unchanged(log_file: Path) -> None:
    """Hashes, counts, floats and booleans are not altered by masking."""
    digest = "0a" + "13812345678" + "b" * 51
    get_logger("t").info("batch", digest=digest, count=1000, seconds=1.5, ok=True, run=None)
    [line] = _lines(log_file)
    assert (line["digest"], line["count"], line["seconds"], line["ok"], line["run"]) == (
        digest, 1000, 1.5, True, None,
    )  # fmt: skip


def test_job_and_run_are_bound_to_every_line(log_file: Path) -> None:
    """bind_run adds job and run_id to each line until unbind_run."""
    bind_run("persons", "run-1")
    get_logger("t").info("page")
    unbind_run()
    get_logger("t").info("after")
    first, second = _lines(log_file)
    assert (first["job"], first["run_id"]) == ("persons", "run-1")
    assert "job" not in second


def test_console_format_is_masked_too(capsys: pytest.CaptureFixture[str]) -> None:
    """The readable console renderer gets the same masked values, exceptions included."""
    configure_logging("INFO", "console", None, secrets=[SECRET])
    try:
        raise KeyError(ID)
    except KeyError:
        get_logger("t").error("lookup", phone=PHONE, token=SECRET)
        get_logger("t").exception("lookup failed")
    err = capsys.readouterr().err
    assert "138****5678" in err
    assert "110***********002X" in err
    assert ID not in err
    assert PHONE not in err
    assert SECRET not in err
