"""The provincial labor-force data platform (贵州省劳务就业大户数据平台).

Streams: ``persons`` (pull, keyed by resident ID number, 2,247,000 for the prefecture) and
``verifications`` (push: the bureau's check results). Requests are signed with HMAC-SHA256.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.labor_force.streams import PersonsStream, VerificationsStream
from gateway.adapter import Adapter, PullStream, PushStream
from gateway.demo import DemoContext, DemoPart


class LaborForceAdapter(Adapter):
    name = "labor_force"
    description = "Provincial labor-force data platform: persons (pull), verifications (push)"

    def __init__(self) -> None:
        self._pull: dict[str, PullStream] = {"persons": PersonsStream()}
        self._push: dict[str, PushStream] = {"verifications": VerificationsStream()}

    def pull_streams(self) -> Mapping[str, PullStream]:
        return self._pull

    def push_streams(self) -> Mapping[str, PushStream]:
        return self._push

    def demo_part(self, ctx: DemoContext) -> DemoPart:
        from adapters.labor_force.demo import demo_part

        return demo_part(ctx)

    def simulator_app(self, settings: Mapping[str, Any]) -> Any:
        from adapters.labor_force.simulator import build_app

        return build_app(settings)


adapter = LaborForceAdapter()
