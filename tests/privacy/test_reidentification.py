"""Re-identification: no single view of a record gives back its ID number.

An attacker reads what one command prints for a person and rebuilds the ID number from the
masked number (first three, last four), every birth date, year and six-digit region code shown
in clear, the gender digit and the check digit. The policy (docs/privacy.md) holds when at least
``MIN_CANDIDATES`` numbers fit what the view shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gateway.cli.audit import masked_body
from gateway.cli.mappings import masked_key, masked_record
from gateway.cli.root import app as gateway_app
from gateway.codes.idnumber import id_check_char
from gateway.codes.regions import region_codes
from gateway.logging import mask_personal_data
from gateway.mapping import CompiledMapping, load_mapping
from gateway.masking import mask_data, mask_id_number, mask_issue
from gateway.store import Store, dlq
from mappings import MAPPINGS_DIR
from simulators.labor_force.population import Population
from tests.helpers.dlq import broken_copy, cli, file_page, make_config, persons
from tests.helpers.reidentify import MASKED_ID, MIN_CANDIDATES, candidates
from tests.helpers.resilience_kit import reset_logging

PERSONS = MAPPINGS_DIR / "labor_force" / "persons.yaml"


def test_the_attack_rebuilds_what_the_old_masks_showed() -> None:
    """The attacker is not a straw man: region + date + last four give the number back."""
    id_number = "52010219900101123" + id_check_char("52010219900101123")
    old_view = f"AAC002 520102********{id_number[-4:]} AAC006 19900101 AAB299 520102"
    assert MASKED_ID.search(old_view) is None  # the old six-digit head is a different shape
    legacy = old_view.replace("520102********", "520***********")
    assert candidates(legacy, id_number) == 1


# Persons the attacker wants: real county codes, any birth date, any sequence.
_COUNTIES = tuple(c for c in region_codes() if not c.endswith("00"))


@st.composite
def people(draw: st.DrawFn) -> dict[str, Any]:
    region = draw(st.sampled_from(_COUNTIES))
    born = draw(st.dates(date(1940, 1, 1), date(2008, 12, 31)))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    id_number = first17 + id_check_char(first17)
    return {
        "AAC002": id_number,
        "AAC003": draw(st.sampled_from(["张三", "李小红", "欧阳明月"])),
        "AAC004": "1" if seq % 2 else "2",
        "AAC005": "01",
        "AAC006": f"{born:%Y%m%d}",
        "AAB299": draw(st.sampled_from([region, region[:4] + "00"])),
        "AAC011": "21",
        "AAC008": draw(st.sampled_from(["1", "7"])),  # "7" is no code: a dead letter
        "AAE006": "贵州省贵阳市南明区花果园",
        "AAE005": "13812345678",
        "HCZT": "1",
        "AAE036": "2025-01-18 16:41:00",
    }


@pytest.fixture(scope="module")
def mapping() -> CompiledMapping:
    return load_mapping(PERSONS)


def _views(mapping: CompiledMapping, raw: dict[str, Any]) -> dict[str, str]:
    """What each renderer prints of one record, as text."""
    result = mapping.map(raw)
    issues = [mask_issue(i.as_dict(), mapping.pii) for i in result.errors + result.warnings]
    log_line = mask_personal_data(None, "info", {"event": "rejected", "record": raw})
    return {
        "dlq show (raw)": orjson.dumps(mapping.mask_raw(raw)).decode(),
        "dlq show (reasons)": orjson.dumps(issues).decode(),
        "mappings test (record)": orjson.dumps(
            masked_record(mapping, result.record), default=str
        ).decode(),
        "mappings test (key)": str(masked_key(mapping, result.key)),
        "audit show --payload": masked_body(orjson.dumps([raw, result.record], default=str)),
        "log line": orjson.dumps(log_line, default=str).decode(),
        "any view (mask_data)": orjson.dumps(mask_data(raw)).decode(),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=people())
def test_no_view_of_a_generated_person_rebuilds_the_id(
    mapping: CompiledMapping, person: dict[str, Any]
) -> None:
    """Every renderer's output of a person leaves at least MIN_CANDIDATES possible numbers."""
    for view, text in _views(mapping, person).items():
        found = candidates(text, person["AAC002"])
        assert found >= MIN_CANDIDATES, f"{view}: {found} candidates in {text}"


@pytest.fixture
def letters_world(tmp_path: Path) -> Iterator[tuple[Any, Store]]:
    config = make_config(tmp_path, broken_copy(tmp_path / "persons.yaml"))
    store = Store(config.store_url)
    file_page(store, config, load_mapping(config.base_dir / "persons.yaml"), persons())  # type: ignore[operator]
    yield config, store
    store.close()
    reset_logging()


def test_dead_letter_views_rebuild_no_id(letters_world: tuple[Any, Store]) -> None:
    """dlq list and show, text and JSON, over the population's letters: nothing rebuilds."""
    config, store = letters_world
    with store.connect() as conn:
        letters = dlq.list_letters(conn, limit=1000)
    assert len(letters) > 10
    listing = cli(config, "list", "--json").output + cli(config, "list").output
    for letter in letters:
        id_number = str(letter.raw.get("AAC002", ""))
        if len(id_number) != 18:
            continue
        for as_json in ([], ["--json"]):
            shown = cli(config, "show", str(letter.id), *as_json)
            assert shown.exit_code == 0, shown.output
            assert candidates(shown.output, id_number) >= MIN_CANDIDATES, shown.output
        assert candidates(listing, id_number) >= MIN_CANDIDATES


def test_mappings_test_and_explain_rebuild_no_id(tmp_path: Path) -> None:
    """gateway mappings test (text and JSON) and explain over generated persons."""
    sample = persons()[:40]
    samples = tmp_path / "persons.jsonl"
    samples.write_bytes(b"\n".join(orjson.dumps(p) for p in sample))
    runner = CliRunner()
    outputs = [
        runner.invoke(gateway_app, ["mappings", "test", str(PERSONS), "-i", str(samples), *extra])
        for extra in ([], ["--json"])
    ]
    explained = runner.invoke(gateway_app, ["mappings", "explain", str(PERSONS), "--json"])
    reset_logging()
    for person in sample:
        for out in (*outputs, explained):
            assert candidates(out.output, str(person["AAC002"])) >= MIN_CANDIDATES


def _population(size: int) -> list[dict[str, Any]]:
    population = Population(size=size, seed=2022)
    return [population.person(i) for i in range(size)]


def test_demo_views_rebuild_no_id(tmp_path: Path) -> None:
    """After a demo with the payload archive on: `audit show --payload` of persons pages (ID,
    birth date and region side by side), `audit search`, both reports: nothing rebuilds."""
    from tests.helpers.gateway_cli import run_gateway_in, simulators_running

    demo = tmp_path / "demo"
    assert run_gateway_in(["demo", "--dir", str(demo), "--size", "300"], tmp_path).returncode == 0
    data = yaml.safe_load((demo / "gateway.yaml").read_text(encoding="utf-8"))
    data["audit"]["archive_payloads"] = True
    (demo / "gateway.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with simulators_running(demo, data):
        assert run_gateway_in(["sync", "labor-persons", "--reset"], demo).returncode in (0, 1)
    entries = orjson.loads(
        run_gateway_in(["audit", "search", "--json", "--limit", "1000"], demo).stdout
    )
    pages = [e["seq"] for e in entries if e["job"] == "labor-persons" and e["response_digest"]]
    assert pages
    views = [
        run_gateway_in(["audit", "show", str(seq), "--payload", "response"], demo).stdout
        for seq in pages[:3]
    ]
    views += [run_gateway_in(["audit", "search", "--limit", "1000"], demo).stdout]
    views += [run_gateway_in(["report", name, *extra], demo).stdout
              for name in ("cases", "inspection") for extra in ([], ["--json"])]  # fmt: skip
    assert "AAC006" in views[0]  # the persons page is shown, birth dates and all
    people = _population(300)
    joined = "\n".join(views)
    assert sum(mask_id_number(str(p["AAC002"])) in joined for p in people) >= 10
    for person in people:
        for view in views:
            assert candidates(view, str(person["AAC002"])) >= MIN_CANDIDATES
