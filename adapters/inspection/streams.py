"""The inspection platform's streams: four directories pushed, the drawn tasks pulled.

Every push stream is the shared receipted push (:class:`gateway.http.streams.ReceiptPushStream`)
with another path.
"""

from __future__ import annotations

from adapters.inspection.models import (
    MAX_BATCH,
    PUSH_PATHS,
    TASK_HOLDINGS_PATH,
    TASK_RANGE_PATH,
    TASKS_PATH,
)
from gateway.http.streams import IncrementalPullStream, ReceiptPushStream

MAX_PAGE_SIZE = 1000


class RecordsPushStream(ReceiptPushStream):
    """One directory (or the results) pushed to the platform, answered record by record."""

    batch_limit = MAX_BATCH

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.path = PUSH_PATHS[name]
        self.receipts_path = f"{self.path}/receipts"


class TasksStream(IncrementalPullStream):
    """The tasks the platform drew, read incrementally by (updatedAt, taskId)."""

    name = "tasks"
    path = TASKS_PATH
    operation = "tasks.list"
    updated_field = "updatedAt"
    key_field = "taskId"
    default_page_size = 100
    max_page_size = MAX_PAGE_SIZE
    holdings_path = TASK_HOLDINGS_PATH
    range_path = TASK_RANGE_PATH
