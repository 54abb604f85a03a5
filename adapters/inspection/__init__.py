"""The provincial double-random inspection platform (贵州省双随机监管系统, "双随机、一公开").

Push streams: ``check_items`` (keyed by item code), ``subjects`` (by USCC), ``inspectors`` (by
enforcement certificate number; they carry ID numbers) and ``results`` (by task id + USCC).
Pull stream: ``tasks``, the platform's random draw of subjects and inspectors for a check item.
Requests are signed with HMAC-SHA256. ``gateway report inspection`` sums up a period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.inspection.models import PUSH_PATHS
from adapters.inspection.streams import RecordsPushStream, TasksStream
from gateway.adapter import Adapter, PullStream, PushStream
from gateway.demo import DemoContext, DemoPart


class InspectionAdapter(Adapter):
    name = "inspection"
    description = (
        "Double-random inspection platform: check items, subjects, inspectors, results (push); "
        "tasks (pull)"
    )

    def __init__(self) -> None:
        self._pull: dict[str, PullStream] = {"tasks": TasksStream()}
        self._push: dict[str, PushStream] = {name: RecordsPushStream(name) for name in PUSH_PATHS}

    def pull_streams(self) -> Mapping[str, PullStream]:
        return self._pull

    def push_streams(self) -> Mapping[str, PushStream]:
        return self._push

    def simulator_app(self, settings: Mapping[str, Any]) -> Any:
        from adapters.inspection.simulator import build_app

        return build_app(settings)

    def demo_part(self, ctx: DemoContext) -> DemoPart:
        from adapters.inspection.demo import demo_part

        return demo_part(ctx)

    def reports(self) -> Mapping[str, Callable[..., None]]:
        from adapters.inspection.report import inspection

        return {"inspection": inspection}


adapter = InspectionAdapter()
