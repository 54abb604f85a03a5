"""The provincial double-random inspection platform (贵州省双随机监管系统, "双随机、一公开").

Push streams: ``check_items`` (keyed by item code), ``subjects`` (by USCC), ``inspectors`` (by
enforcement certificate number; they carry ID numbers) and ``results`` (by task id + USCC).
Pull stream: ``tasks``, the platform's random draw of subjects and inspectors for a check item.
Requests are signed with HMAC-SHA256. ``gateway report inspection`` sums up a period.
"""

from __future__ import annotations

from adapters.inspection.streams import PUSH_PATHS, RecordsPushStream, TasksStream
from gateway.adapter import DeclaredAdapter


class InspectionAdapter(DeclaredAdapter):
    name = "inspection"
    description = (
        "Double-random inspection platform: check items, subjects, inspectors, results (push); "
        "tasks (pull)"
    )
    report_refs = {"inspection": "adapters.inspection.report:inspection"}  # noqa: RUF012
    headline_refs = {"inspection": "adapters.inspection.report:headline"}  # noqa: RUF012
    view_refs = {"inspection": "adapters.inspection.report:view"}  # noqa: RUF012


adapter = InspectionAdapter(
    pull=[TasksStream()], push=[RecordsPushStream(name) for name in PUSH_PATHS]
)
