"""Warnings that mean one thing each, as ``mappings test``, ``mappings explain`` and ``dlq show``
print them: a region code created after the birth is a note, one abolished before is a warning."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from gateway.cli.mappings import app as mappings_app
from gateway.cli.root import app as gateway_app
from gateway.codes.uscc import org_check_char
from gateway.mapping import load_mapping
from gateway.store import Store, dlq
from mappings import MAPPINGS_DIR
from tests.helpers.dlq import PERSONS, file_page, make_config
from tests.helpers.mapping import make_id, make_uscc
from tests.helpers.resilience_kit import reset_logging

runner = CliRunner()
NOTE_ID = make_id(region="520302", birth="19800101")  # Zunyi's 红花岗区, a code of 1997
SUSPICIOUS_ID = make_id(region="522201", birth="20150101")  # Tongren's code, abolished 2011
PERSON = {"AAC003": "张三", "AAC004": "1", "AAC005": "01", "AAE036": "2023-05-01 10:00:00"}


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """The CLI commands configure logging for the process; undo it after each test."""
    yield
    reset_logging()


def person(number: str, **extra: str) -> dict[str, str]:
    return {**PERSON, "AAC002": number, "AAC006": number[6:14], **extra}


def test_mappings_test_tells_a_note_from_a_warning(tmp_path: Path) -> None:
    """One record with a note only, one with a warning: counted apart, each code named."""
    samples = tmp_path / "persons.jsonl"
    samples.write_text(
        "\n".join(json.dumps(person(n), ensure_ascii=False) for n in (NOTE_ID, SUSPICIOUS_ID)),
        encoding="utf-8",
    )
    result = runner.invoke(mappings_app, ["test", str(PERSONS), "-i", str(samples), "--json"])
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.output)
    assert shown["summary"]["with_warnings"] == 1
    assert shown["summary"]["with_notes"] == 1
    note, warning = (r["warnings"] for r in shown["results"])
    assert [(w["level"], w["detail"].split(":")[0]) for w in note] == [
        ("info", "region_created_after_birth")
    ]
    assert [(w["level"], w["detail"].split(":")[0]) for w in warning] == [
        ("warning", "region_abolished_before_birth")
    ]
    text = runner.invoke(mappings_app, ["test", str(PERSONS), "-i", str(samples)])
    assert "region_created_after_birth" in text.output
    assert "region_abolished_before_birth" in text.output
    assert "1 with warnings, 1 with informational notes" in text.output
    assert NOTE_ID not in text.output + result.output


def test_explain_lists_every_warning_a_validator_can_give() -> None:
    """``mappings explain`` of the cases mapping names the ID number's and the USCC's warnings."""
    cases = str(MAPPINGS_DIR / "service_network" / "cases.yaml")
    result = runner.invoke(mappings_app, ["explain", cases, "--json"])
    assert result.exit_code == 0, result.output
    listed = {
        (w["field"], w["warning"], w["level"]) for w in orjson.loads(result.output)["warnings"]
    }
    assert listed == {("contact_id_number", code, "warning") for code in (
        "region_abolished_before_birth", "region_abolished", "region_unknown",
        "region_not_county", "region_taiwan", "birth_before_1900",
    )} | {("contact_id_number", "region_created_after_birth", "info")} | {
        ("enterprise_uscc", code, "warning") for code in ("uscc_category", "uscc_org_check")
    }  # fmt: skip
    table = runner.invoke(mappings_app, ["explain", cases])
    assert "warnings the steps can give" in table.output


def test_uscc_warnings_reach_the_record() -> None:
    """A category GB 32100 does not pair with its authority, a wrong GB 11714 character: warned."""
    mapping = load_mapping(MAPPINGS_DIR / "files" / "subjects.yaml")
    check = org_check_char("MA6DKLL8")
    wrong = next(c for c in "0123456789X" if c != check)
    good = make_uscc("91520100MA6DKLL8" + check)
    for code, expected in (
        (make_uscc("95520100MA6DKLL8" + check), "uscc_category"),
        (make_uscc("91520100MA6DKLL8" + wrong), "uscc_org_check"),
    ):
        issues = [
            w.detail.split(":")[0]
            for w in mapping.map({"统一社会信用代码": code}).warnings
            if w.rule == "uscc" and w.detail
        ]
        assert expected in issues, (code, issues)
    assert not [w for w in mapping.map({"统一社会信用代码": good}).warnings if w.rule == "uscc"]


def test_dlq_show_gives_the_warning_split(tmp_path: Path) -> None:
    """A rejected record's letter shows its note or warning beside the reason it was refused."""
    config = make_config(tmp_path, PERSONS)
    store = Store(config.store_url)
    refused = {"AAC005": "77"}  # an ethnicity code GB 3304 does not have
    file_page(store, config, load_mapping(PERSONS),
              [person(NOTE_ID, **refused), person(SUSPICIOUS_ID, **refused)])  # fmt: skip
    with store.connect() as conn:
        letters = dlq.list_letters(conn)
    store.close()
    assert len(letters) == 2
    path = tmp_path / "gateway.yaml"
    path.write_text(orjson.dumps(config.model_dump(mode="json")).decode(), encoding="utf-8")
    shown = [
        orjson.loads(
            CliRunner()
            .invoke(gateway_app, ["dlq", "show", str(letter.id), "-c", str(path), "--json"])
            .output
        )
        for letter in letters
    ]
    levels = sorted((w["level"], w["detail"].split(":")[0]) for s in shown for w in s["warnings"])
    assert levels == [("info", "region_created_after_birth"),
                      ("warning", "region_abolished_before_birth")]  # fmt: skip
    text = CliRunner().invoke(gateway_app, ["dlq", "show", str(letters[1].id), "-c", str(path)])
    assert "Warnings and notes" in text.output
    assert SUSPICIOUS_ID not in text.output
    assert NOTE_ID not in text.output
