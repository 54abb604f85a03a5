"""Job postings (岗位信息): the bureau's export → store → the labor-force platform, and the
report's figures from synced data against the platform's own count."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from adapters.labor_force.report import build_report
from gateway.store.dlq import list_letters
from simulators.demo.labor_force.data import (
    COLUMNS,
    POSTINGS,
    REPORT_DAY,
    VALID_POSTINGS,
    posting_rows,
    postings_csv,
)
from simulators.labor_force.employers import employers, make_uscc
from simulators.labor_force.postings import E_UNKNOWN_EMPLOYER, PostingLedger
from tests.helpers.labor_env import labor_env

SEED = 2022
FILE = "postings-2022-11.csv"


def test_the_reports_postings_come_from_synced_data(tmp_path: Path) -> None:
    """95,100 postings entered, 18,800 valid on 2022-11-30: in the store, accepted by the
    platform, and counted so by the platform itself."""
    with labor_env(tmp_path, size=100, seed=SEED) as env:
        inbox = tmp_path / "inbox"
        (inbox / FILE).write_bytes(postings_csv(posting_rows(POSTINGS, VALID_POSTINGS, SEED)))
        loaded = env.run("postings-load")
        assert (loaded.status, loaded.read, loaded.inserted) == ("succeeded", POSTINGS, POSTINGS)
        pushed = env.run("labor-postings-push")
        assert (pushed.status, pushed.read, pushed.rejected) == ("succeeded", POSTINGS, 0)
        platform = env.sim("GET", "/_sim/postings", params={"on": "2022-11-30"}).json()
        assert platform == {"entered": POSTINGS, "valid": VALID_POSTINGS}
        report = build_report(env.config, env.store, on=REPORT_DAY)
        assert report.postings is not None
        assert report.postings.as_dict() == {
            "on": "2022-11-30",
            "entered": {"held": POSTINGS, "accepted": POSTINGS},
            "valid": {"held": VALID_POSTINGS, "accepted": VALID_POSTINGS},
        }
        # A year later every one of them has expired, at the gateway and at the platform.
        later = build_report(env.config, env.store, on=date(2023, 12, 1))
        assert later.postings is not None
        assert (later.postings.entered, later.postings.valid) == (POSTINGS, 0)
        assert env.sim("GET", "/_sim/postings", params={"on": "2023-12-01"}).json()["valid"] == 0
        # Nothing is sent twice.
        assert env.run("labor-postings-push").read == 0


def test_bad_postings_are_refused_where_they_can_be_seen(tmp_path: Path) -> None:
    """The file's rules catch what the bureau can fix; the platform refuses an unknown employer."""
    rows = posting_rows(6, 3, SEED)
    rows[0][5], rows[0][6] = "40", "30"  # ages out of order
    rows[1][8], rows[1][9] = "2022-05-01", "2022-04-01"  # valid until before valid from
    rows[2][4] = "0"  # no one to hire
    rows[3][3] = make_uscc("522601", 99_999_999)  # a valid code the platform does not know
    with labor_env(tmp_path, size=100, seed=SEED) as env:
        (tmp_path / "inbox" / FILE).write_bytes(postings_csv(rows))
        loaded = env.run("postings-load")
        assert (loaded.read, loaded.inserted, loaded.rejected) == (6, 3, 3)
        pushed = env.run("labor-postings-push")
        assert (pushed.read, pushed.rejected) == (3, 1)
        with env.store.connect() as conn:
            load_rules = sorted(
                rule for x in list_letters(conn, job="postings-load") for rule in x.rules
            )
            [refused] = list_letters(conn, job="labor-postings-push")
    assert load_rules == ["age_max:rule", "headcount:range", "valid_until:rule"]
    assert E_UNKNOWN_EMPLOYER in refused.rules[0]
    assert COLUMNS[3] == "统一社会信用代码"


def test_the_platform_answers_a_resent_posting_the_same() -> None:
    """Idempotency: a key seen before gets its first answer; a new version replaces the old."""
    known = employers(SEED)[0]
    ledger = PostingLedger([known.uscc])
    item = {
        "idempotencyKey": "k1", "ACB210": "GW20220000001", "BCE055": "电工",
        "AAB004": known.name, "AAB998": known.uscc, "ACB21D": 2, "ACB221": 18, "ACB222": 40,
        "ACC530": "凯里市城区", "AAE030": "2022-11-01", "AAE031": "2022-12-31",
    }  # fmt: skip
    [first] = ledger.submit([item])
    [again] = ledger.submit([{**item, "AAE031": "2023-12-31"}])
    assert first == again
    assert first["status"] == "accepted"
    assert ledger.duplicates == 1
    assert ledger.counts(date(2023, 6, 1)) == {"entered": 1, "valid": 0}
    ledger.submit([{**item, "idempotencyKey": "k2", "AAE031": "2023-12-31"}])
    assert ledger.counts(date(2023, 6, 1)) == {"entered": 1, "valid": 1}
    [unknown] = ledger.submit([{**item, "idempotencyKey": "k3", "AAB998": make_uscc("522601", 1)}])
    assert (unknown["status"], unknown["code"]) == ("rejected", E_UNKNOWN_EMPLOYER)
