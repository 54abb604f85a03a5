"""Progress of a sync: total, percentage and ETA where the platform reports a total (the
labor-force list answer does), a plain line every few seconds when stdout is not a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import progress
from gateway.cli.progress import plain_line
from gateway.cli.root import app
from simulators.labor_force.population import Population
from simulators.labor_force.state import PersonStore
from tests.helpers.resilience_kit import PERSONS_JOB, make_world, reset_logging

SIZE = 300


def test_plain_line_with_and_without_a_total() -> None:
    """With a total: 'of', a percentage and an ETA; without: count, rate and elapsed only."""
    line = plain_line("persons", {"read": 250, "rejected": 3, "total": 1000}, 10.0)
    assert line == "persons: 250 of 1,000 read (25%), 3 rejected, 25/s, 0:00:10, ETA 0:00:30"
    line = plain_line("files", {"read": 40, "rejected": 0}, 2.0)
    assert line == "files: 40 read, 0 rejected, 20/s, 0:00:02"


def test_simulator_total_counts_what_lists_from_the_cursor() -> None:
    """From the start the total is the population; from a cursor, exactly what lists after
    it, also after changes moved persons to the end."""
    population = Population(2_000, 5)
    store = PersonStore(population)
    assert store.remaining(None, None) == 2_000
    store.advance(0.1)
    items, _ = store.page(None, None, 2_000)
    for read in (1, 500, 1_337, 1_999):
        last = items[read - 1]
        after = store.page(last["AAE036"], last["AAC002"], 5_000)[0]
        total = store.remaining(last["AAE036"], last["AAC002"])
        assert total == len(after)


def test_piped_sync_prints_plain_progress_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a terminal: plain lines with 'of 300 read' and a percentage, ending at 100%."""
    monkeypatch.setattr(progress, "PLAIN_EVERY_SECONDS", 0.0)
    world = make_world(tmp_path, size=SIZE, seed=3, page_size=50)
    with world.simulator():
        result = CliRunner().invoke(app, ["sync", PERSONS_JOB, "-c", str(world.config_path)])
    reset_logging()
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"{PERSONS_JOB}: ")]
    assert len(lines) >= 5, result.stdout
    assert f"of {SIZE} read (" in lines[0]
    assert "ETA" in lines[0]
    assert f"{SIZE} of {SIZE} read (100%)" in lines[-1]
