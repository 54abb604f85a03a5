"""Fix-and-replay over real sockets, through the ``gateway dlq`` commands.

Pull: a copy of the persons mapping without the employment code "9" (其他) sends those persons
to the dead-letter queue; putting the value back and replaying moves them into the store, exactly
as a run with the fixed mapping would have stored them.

Push: the platform refuses checker names over 50 characters and persons it does not know; once
the push mapping cuts names to 50 characters, a replay delivers those records, each once, while
the unknown persons stay open.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from gateway.cli.root import app
from gateway.pipeline import JobRunner
from gateway.store import dlq
from mappings import MAPPINGS_DIR
from tests.helpers.resilience_kit import (
    LOAD_JOB,
    PERSONS_JOB,
    PERSONS_MAPPING,
    PUSH_JOB,
    World,
    expected_persons,
    hashes,
    make_world,
    reset_logging,
    write_verifications,
)

SEED = 1204
SIZE = 1500
PUSH_MAPPING = MAPPINGS_DIR / "labor_force" / "verifications.push.yaml"
UNKNOWN_CODE = '    "9": other\n'
CHECKER = "    source: verified_by\n"
CUT_CHECKER = CHECKER + "    transforms: [{slice: {start: 0, end: 50}}]\n"


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """The CLI commands configure logging for the process; undo it after each test."""
    yield
    reset_logging()


def cli(world: World, *args: str) -> Any:
    """A ``gateway dlq`` command, answered in JSON."""
    result = CliRunner().invoke(app, ["dlq", *args, "--json", "--config", str(world.config_path)])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_fix_the_mapping_and_replay(tmp_path: Path) -> None:
    """Replayed letters reach the store or the platform once; the rest stay open."""
    print(f"seed={SEED} size={SIZE}")
    persons_mapping = tmp_path / "persons.yaml"
    push_mapping = tmp_path / "verifications.push.yaml"
    shutil.copyfile(PERSONS_MAPPING, persons_mapping)
    shutil.copyfile(PUSH_MAPPING, push_mapping)
    edit(persons_mapping, UNKNOWN_CODE, "")
    world = make_world(
        tmp_path / "world", size=SIZE, seed=SEED, persons_mapping=persons_mapping,
        push_mapping=push_mapping,
    )  # fmt: skip
    rows = write_verifications(world, every=10, strangers=2, long_checker=3)
    expected, invalid = expected_persons(SIZE, SEED)
    store = world.store()
    with world.simulator():
        runner = JobRunner(world.config, store)
        pulled = runner.run(PERSONS_JOB)
        coded = cli(world, "list", "--job", PERSONS_JOB, "--reason", "employment_status:code_map")
        assert coded
        assert pulled.rejected == invalid + len(coded)

        shutil.copyfile(PERSONS_MAPPING, persons_mapping)
        (pull_replay,) = cli(world, "replay", "--job", PERSONS_JOB)
        assert sorted(pull_replay["ids"]["replayed"]) == sorted(x["id"] for x in coded)
        assert pull_replay["still_failing"] == invalid
        assert hashes(store, "person") == expected
        replayed = cli(world, "list", "--status", "replayed")
        assert sorted(x["id"] for x in replayed) == sorted(x["id"] for x in coded)

        assert runner.run(LOAD_JOB).inserted == rows
        pushed = runner.run(PUSH_JOB)
        assert (pushed.inserted, pushed.rejected) == (rows - 5, 5)
        refused = cli(world, "list", "--job", PUSH_JOB, "--status", "open")
        assert sorted(x["rules"][0] for x in refused) == (
            ["(platform):E_INVALID_FIELD"] * 3 + ["(platform):E_UNKNOWN_PERSON"] * 2
        )

        edit(push_mapping, CHECKER, CUT_CHECKER)
        (push_replay,) = cli(world, "replay", "--job", PUSH_JOB)
        accepted = world.sim("/_sim/verifications")
        stats = world.sim("/_sim/stats")
    assert (push_replay["replayed"], push_replay["still_failing"]) == (3, 2)
    assert len(accepted) == stats["verifications_received"] == rows - 2
    assert len({(x["AAC002"], x["HCSJ"]) for x in accepted}) == rows - 2
    assert sorted(len(x["HCR"]) for x in accepted)[-3:] == [50, 50, 50]
    with store.connect() as conn:
        still = dlq.list_letters(conn, job=PUSH_JOB, status=dlq.OPEN)
    assert [x.rules for x in still] == [["(platform):E_UNKNOWN_PERSON"]] * 2
    assert {x.attempts for x in still} == {2}
    store.close()
