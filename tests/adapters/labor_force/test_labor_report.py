"""``gateway report labor`` from synced data, against an independent count of what the
simulated platform holds."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from adapters.labor_force.report import build_report
from simulators.labor_force.population import Population
from tests.helpers.labor_env import labor_env

SIZE, SEED = 3000, 2022


def holdings() -> tuple[int, int, int, int, Counter[str]]:
    """(persons, valid, valid and verified, verified of all, verified per county) as the
    platform holds them."""
    population = Population(size=SIZE, seed=SEED)
    valid = verified = verified_all = 0
    by_county: Counter[str] = Counter()
    for index in range(SIZE):
        person = population.person(index)
        verified_all += person.get("HCZT") == "1"
        if population.invalid_kind(index) is not None:
            continue
        valid += 1
        if person["HCZT"] == "1":
            verified += 1
            by_county[person["AAB299"]] += 1
    return SIZE, valid, verified, verified_all, by_county


def test_the_verification_rate_counts_the_rejected_too(tmp_path: Path) -> None:
    persons, valid, verified, verified_all, by_county = holdings()
    with labor_env(tmp_path, size=SIZE, seed=SEED) as env:
        assert env.run("labor-persons").status == "succeeded"
        report = build_report(env.config, env.store, by="county")
        # Read again from the start: dead letters are not doubled, nor is anyone counted twice.
        env.store.reset_checkpoint("labor-persons")
        env.run("labor-persons")
        again = build_report(env.config, env.store)
    totals = report.totals.as_dict()
    assert (totals["received"], totals["stored"], totals["verified"]) == (persons, valid, verified)
    assert totals["rejected"] == persons - valid > 0
    assert totals["rate_of_stored"] == round(verified / valid, 6)
    # Over received, the rejected persons count with the status the platform sent for them.
    assert totals["verified_received"] == verified_all > verified
    assert totals["rate_of_received"] == round(verified_all / persons, 6)
    assert again.totals.as_dict() == totals
    assert {g.label.split()[0]: g.verified for g in report.groups if g.verified} == dict(by_county)
    assert sum(g.stored for g in report.groups) == valid
    assert sum(n for _, n in report.reasons) >= totals["rejected"]
    assert {rule.split(":")[1] for rule, _ in report.reasons} <= {
        "resident_id", "code_map", "required", "type", "derive", "date", "code_table"
    }  # fmt: skip


def test_the_command_prints_json_and_csv(tmp_path: Path) -> None:
    with labor_env(tmp_path, size=SIZE, seed=SEED) as env:
        env.run("labor-persons")
        out = tmp_path / "labor.csv"
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "report", "labor", "--by", "status", "--json",
             "--csv", str(out), "--config", str(env.config_path)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["totals"]["received"] == SIZE
    assert {g["label"] for g in figures["groups"]} <= {
        "employed", "unemployed", "self_employed", "flexible", "farming", "other"
    }  # fmt: skip
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["label"] == "total"
    assert int(rows[-1]["stored"]) == sum(int(r["stored"]) for r in rows[:-1])
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
