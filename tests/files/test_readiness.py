"""A file is read only once it is complete: settled, marked done, or renamed into place."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.helpers.inbox import Inbox, csv_bytes, person_rows

# Writes its stdin to a file in three chunks, pausing between them as a slow copy does.
SLOW_COPY = """
import sys, time
data = sys.stdin.buffer.read()
third = len(data) // 3
with open(sys.argv[1], "wb") as out:
    for start in (0, third, 2 * third):
        out.write(data[start : start + third] if start < 2 * third else data[start:])
        out.flush()
        time.sleep(0.4)
"""


def test_a_file_copied_in_slow_chunks_is_never_read_early(inbox: Inbox) -> None:
    """While another process writes in three chunks, polls take nothing; then every row."""
    inbox.configure(settle_seconds=1.5)
    rows = person_rows(3000)
    target = inbox.folder / "slow.csv"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_COPY, str(target)], stdin=subprocess.PIPE)
    assert writer.stdin is not None
    writer.stdin.write(csv_bytes(rows))
    writer.stdin.close()
    while not target.exists():
        time.sleep(0.01)
    polls = 0
    while writer.poll() is None:
        summary, _ = inbox.sync()
        polls += 1
        assert summary.read == 0
    assert polls >= 1
    assert inbox.counts() == (0, 0)
    summary, code = inbox.sync()
    assert (summary.read, summary.status, code) == (3000, "succeeded", 0)
    assert inbox.counts() == (3000, 0)


def test_a_marker_job_waits_for_the_done_file(inbox: Inbox) -> None:
    """ready: marker takes a file only once NAME.done exists; the marker goes with it."""
    inbox.configure(ready="marker")
    inbox.drop("a.csv", csv_bytes(person_rows(10)))
    summary, _ = inbox.sync()
    assert summary.read == 0
    inbox.drop("a.csv.done", b"")
    summary, code = inbox.sync()
    assert (summary.read, code) == (10, 0)
    assert inbox.counts() == (10, 0)
    assert not (inbox.folder / "a.csv.done").exists()
    assert (inbox.folder / "processed" / "a.csv").exists()


def test_hidden_and_excel_lock_files_are_never_taken(inbox: Inbox) -> None:
    """ready: rename takes visible files at once, never .name or ~$name files."""
    inbox.configure(ready="rename")
    inbox.drop(".a.csv", csv_bytes(person_rows(5)))
    inbox.drop("~$b.csv", b"\x00\x01")
    summary, _ = inbox.sync()
    assert (summary.read, summary.status) == (0, "succeeded")
    (inbox.folder / ".a.csv").rename(inbox.folder / "a.csv")
    summary, _ = inbox.sync()
    assert summary.read == 5
