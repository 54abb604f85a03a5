"""The ``inbox`` fixture: a real inbox folder and a files job reading it (tests.helpers.inbox)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.inbox import Inbox


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    box = Inbox(tmp_path)
    box.folder.mkdir()
    box.configure()
    return box
