"""The inspection platform's streams: four directories pushed, the drawn tasks pulled.

Every push stream is the shared receipted push (:class:`gateway.http.streams.ReceiptPushStream`)
with another path.
"""

from __future__ import annotations

from gateway.http.streams import IncrementalPullStream, ReceiptPushStream

# The platform's routes and limits, as its interface document gives them.
API = "/api/v1"
PUSH_PATHS = {
    "check_items": f"{API}/check-items",
    "subjects": f"{API}/subjects",
    "inspectors": f"{API}/inspectors",
    "results": f"{API}/results",
}
TASKS_PATH = f"{API}/tasks"
TASK_HOLDINGS_PATH = f"{API}/tasks/holdings"
TASK_RANGE_PATH = f"{API}/tasks/range"
MAX_BATCH = 500

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
