"""What an operator does after a file or a row was refused: fix it, replay, nothing lost.

A row the reader could not parse is corrected from the source with ``gateway dlq amend`` and
replayed; a whole-file letter is replayed by reading the file again, after the operator fixed
the file in ``failed/`` or the job's options. Every step through the real CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers.inbox import HEADER, Inbox, csv_bytes, person_rows, workbook


def gateway(inbox: Inbox, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args, "--config", str(inbox.config_path)],
        input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def by_source(inbox: Inbox) -> dict[str, dict[str, Any]]:
    return {str(letter["source"]): letter for letter in inbox.letters()}


def audit_verifies(inbox: Inbox) -> None:
    done = gateway(inbox, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr


def test_rows_with_too_many_or_too_few_columns_replay_after_an_amendment(inbox: Inbox) -> None:
    """An unquoted comma in an address and a cut row: amended from the source, replayed."""
    rows = person_rows(20)
    lines = csv_bytes(rows).decode().split("\r\n")
    address = rows[2][3]
    lines[3] = lines[3].replace(address, address[:3] + "," + address[3:])  # 7 cells
    lines[5] = ",".join(lines[5].split(",")[:4])  # 4 cells
    inbox.drop("columns.csv", "\r\n".join(lines).encode())
    summary, code = inbox.sync()
    assert inbox.counts() == (18, 2)
    assert (summary.status, code) == ("partial", 1)
    letters = by_source(inbox)
    wide, short = letters["columns.csv#4"], letters["columns.csv#6"]

    replay = gateway(inbox, "dlq", "replay", "--json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)[0]["still_failing"] == 2  # nothing to map before a fix

    refused = gateway(inbox, "dlq", "amend", str(wide["id"]), stdin='{"住 址": "x"}')
    assert refused.returncode == 2
    assert "neither a column of the row nor one the mapping reads" in refused.stderr
    assert "column=住 址" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    fixes = {
        wide["id"]: {"工作地点": address, "核查时间": rows[2][4], "核查人": rows[2][5]},
        short["id"]: {"核查时间": rows[4][4], "核查人": rows[4][5]},
    }
    for letter_id, cells in fixes.items():
        done = gateway(inbox, "dlq", "amend", str(letter_id), stdin=json.dumps(cells))
        assert done.returncode == 0, done.stderr
        assert address not in done.stdout  # names of columns only, never values
    amended = by_source(inbox)["columns.csv#4"]
    assert "__cells__" not in amended["raw"]
    assert "__error__" not in amended["raw"]
    assert amended["note"] == "amended by an operator: 工作地点, 核查人, 核查时间"

    replay = gateway(inbox, "dlq", "replay", "--json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)[0]["replayed"] == 2
    assert inbox.counts() == (20, 2)
    assert {letter["status"] for letter in inbox.letters()} == {"replayed"}
    trail = gateway(inbox, "audit", "search", "--kind", "operator_action", "--json")
    assert trail.returncode == 0, trail.stderr
    assert trail.stdout.count("dlq.amend") == 2
    assert address not in trail.stdout
    audit_verifies(inbox)


@pytest.mark.parametrize("ready", ["settle", "marker"])
def test_a_whole_file_letter_replays_after_the_file_is_fixed(inbox: Inbox, ready: str) -> None:
    """Duplicate header: the operator corrects failed/NAME; dlq replay reads it again."""
    inbox.configure(ready=ready)
    rows = person_rows(30)
    broken = csv_bytes(rows, header=[*HEADER[:-1], HEADER[0]])
    inbox.drop("desk.csv", broken)
    if ready == "marker":
        inbox.drop("desk.csv.done", b"")
    summary, _ = inbox.sync()
    assert (summary.status, inbox.counts()) == ("partial", (0, 1))
    failed = inbox.folder / "failed" / "desk.csv"
    assert failed.exists()

    failed.write_bytes(csv_bytes(rows))
    replay = gateway(inbox, "dlq", "replay", "--json")
    assert replay.returncode == 0, replay.stderr
    [result] = json.loads(replay.stdout)
    assert (result["replayed"], result["still_failing"]) == (1, 0)
    assert result["reread_run"]
    assert inbox.counts() == (30, 1)
    [letter] = inbox.letters()
    assert letter["status"] == "replayed"
    assert (inbox.folder / "processed" / "desk.csv").exists()
    assert not (inbox.folder / "failed" / "desk.csv.reason.txt").exists()
    audit_verifies(inbox)


def test_a_whole_file_letter_replays_after_the_options_are_fixed(inbox: Inbox) -> None:
    """Merged cells refused; the operator sets merged_cells: fill; dlq replay reads the file."""

    rows = person_rows(4)
    inbox.drop("merged.xlsx", workbook({"数据": [HEADER, *rows]}, merge="F2:F3"))
    inbox.sync()
    assert inbox.counts() == (0, 1)
    inbox.configure(merged_cells="fill")
    replay = gateway(inbox, "dlq", "replay", "--json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)[0]["replayed"] == 1
    assert inbox.counts() == (4, 1)
    assert inbox.letters()[0]["status"] == "replayed"


def test_a_whole_file_replay_without_a_fix_stays_one_letter(inbox: Inbox) -> None:
    """Nothing fixed: the file is refused again, the same letter counts the attempt."""
    inbox.drop("empty.csv", b"")
    inbox.sync()
    for attempts in (2, 3):
        replay = gateway(inbox, "dlq", "replay", "--json")
        assert replay.returncode == 0, replay.stderr
        assert json.loads(replay.stdout)[0]["still_failing"] == 1
        [letter] = inbox.letters()
        assert (letter["status"], letter["attempts"]) == ("open", attempts)
        assert (inbox.folder / "failed" / "empty.csv.reason.txt").exists()
    # Dropped again by hand: read again, still the one letter.
    inbox.drop("empty.csv", b"")
    inbox.sync()
    assert [letter["attempts"] for letter in inbox.letters()] == [4]


def test_a_fix_that_fails_differently_supersedes_the_letter(inbox: Inbox) -> None:
    """The corrected file is refused for another reason: a new letter, the old one discarded."""
    inbox.drop("desk.csv", b"")
    inbox.sync()
    rows = person_rows(3)
    (inbox.folder / "failed" / "desk.csv").write_bytes(
        csv_bytes(rows, header=[*HEADER[:-1], HEADER[0]])
    )
    replay = gateway(inbox, "dlq", "replay", "--json")
    assert json.loads(replay.stdout)[0]["superseded"] == 1
    old, new = sorted(inbox.letters(), key=lambda letter: int(letter["id"]))
    assert (old["status"], new["status"]) == ("discarded", "open")
    assert old["note"] == f"superseded by dead letter {new['id']}"
    assert "duplicate" in new["reasons"]


def test_a_file_the_replay_run_did_not_take_keeps_its_letter_open(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readmitted but not ready when the job ran: not replayed; the next run reads it."""
    from gateway.config import load_config
    from gateway.pipeline.replay import Replayer
    from gateway.store import Store

    inbox.drop("desk.csv", b"")
    inbox.sync()
    (inbox.folder / "failed" / "desk.csv").write_bytes(csv_bytes(person_rows(5)))
    monkeypatch.setattr("adapters.files.pull.ready_paths", lambda *_args: [])
    config = load_config(inbox.config_path)
    store = Store(config.store_url)
    try:
        [result] = Replayer(config, store).replay()
    finally:
        store.close()
    assert (result.replayed, result.still_failing) == ([], [inbox.letters()[0]["id"]])
    assert (inbox.folder / "desk.csv").exists()
    monkeypatch.undo()
    summary, _ = inbox.sync()
    assert (summary.status, summary.inserted) == ("succeeded", 5)
