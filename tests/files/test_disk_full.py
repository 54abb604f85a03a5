"""The store's disk fills up mid-run: the run fails in one line, and converges given room."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.store import Store
from tests.helpers.inbox import Inbox, csv_bytes, person_rows


def gateway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs: the store's own disk, made larger later by remounting it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=False
    )
    if done.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_fails_the_run_in_one_line_and_the_next_run_converges(
    tmp_path: Path, small_disk: Path
) -> None:
    """Disk full → failed in runs, audit and exit code, no traceback; room made → all stored."""
    inbox = Inbox(tmp_path)
    inbox.folder.mkdir()
    inbox.configure(min_free_mb=1)
    config = inbox.config_path
    text = config.read_text("utf-8").replace(str(tmp_path / "store.db"), str(small_disk / "s.db"))
    config.write_text(text, "utf-8")
    rows = person_rows(40_000)
    inbox.drop("big.csv", csv_bytes(rows))

    done = gateway("sync", "load", "--config", str(config))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "disk is full" in done.stdout
    store = Store(f"sqlite:///{small_disk / 's.db'}")
    try:
        [run] = store.last_runs(["load"])
        assert run["status"] == "failed"
        assert "disk is full" in run["error"]
    finally:
        store.close()
    verified = gateway("audit", "verify", "--config", str(config))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert (inbox.folder / "big.csv").exists()  # not taken: it was not read to its end

    subprocess.run(["mount", "-o", "remount,size=256m", str(small_disk)], check=True)
    again = gateway("sync", "load", "--config", str(config))
    assert again.returncode == 0, again.stdout + again.stderr
    store = Store(f"sqlite:///{small_disk / 's.db'}")
    try:
        [run] = store.last_runs(["load"])
        assert run["status"] == "succeeded"
        with store.connect() as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM records").scalar()
        assert count == len(rows)
    finally:
        store.close()
    assert gateway("audit", "verify", "--config", str(config)).returncode == 0


def test_too_little_room_refuses_the_run_at_start_in_one_line(tmp_path: Path) -> None:
    """A disk with less free space than store.min_free_mb: exit 1, path and space named."""
    inbox = Inbox(tmp_path)
    inbox.folder.mkdir()
    inbox.configure(min_free_mb=10**9)
    inbox.drop("a.csv", csv_bytes(person_rows(3)))
    done = gateway("sync", "load", "--config", str(inbox.config_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "too little free space" in line
    assert str(tmp_path) in line
    assert "needed_mb=1000000000" in line
    assert (inbox.folder / "a.csv").exists()
