"""Records that share one update time across a page boundary are neither skipped nor doubled.

The simulated platform gives every 7 consecutive persons the same AAE036; pages of 5 split
nearly every such group, so only a cursor of (AAE036, AAC002) can resume exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from gateway.pipeline import JobRunner
from simulators.labor_force.population import DEFAULT_GROUP_SIZE, Population, format_time
from tests.helpers.resilience_kit import PERSONS_JOB, expected_persons, hashes, make_world

SEED = 31
SIZE = 300
PAGE = 5


def test_pages_that_split_timestamp_groups_lose_nothing(tmp_path: Path) -> None:
    """A pull stopped mid-group (checkpoint inside a shared AAE036) and resumed by a new runner
    stores exactly the persons of one uninterrupted pull."""
    assert PAGE < DEFAULT_GROUP_SIZE
    assert DEFAULT_GROUP_SIZE % PAGE
    print(f"seed={SEED} size={SIZE} page={PAGE}")
    world = make_world(tmp_path, size=SIZE, seed=SEED, page_size=PAGE)
    expected, invalid = expected_persons(SIZE, SEED)
    store = world.store()
    stop = threading.Event()
    pages = 0

    def after_page(_counts: Mapping[str, int]) -> None:
        nonlocal pages
        pages += 1
        if pages == 3:  # 15 records: the third group of 7 is cut after its first record
            stop.set()

    with world.simulator():
        first = JobRunner(world.config, store, stop=stop).run(PERSONS_JOB, progress=after_page)
        cursor = store.load_checkpoint(PERSONS_JOB)
        rest = JobRunner(world.config, store).run(PERSONS_JOB)
    assert first.status == "interrupted"
    assert first.read == 3 * PAGE
    # The checkpoint sits inside group 2: its time is shared by records not yet read.
    group_2 = format_time(Population(size=SIZE, seed=SEED).group_time(2))
    assert cursor is not None
    assert (cursor["updated_since"], bool(cursor["after_key"])) == (group_2, True)
    assert rest.status == "succeeded", rest.error
    assert first.read + rest.read == SIZE
    assert first.rejected + rest.rejected == invalid
    assert hashes(store, "person") == expected
    store.close()
