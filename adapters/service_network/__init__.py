"""The provincial government service network (贵州政务服务网, 一网通办).

Streams: ``items`` (push: the bureau's catalogue with its guides), ``cases`` (pull: applications
from the one-stop portal, by (update time, case number)), ``case_events`` (push: accepted,
approved or rejected, completed) and ``handling`` (pull: the local handling rules' decisions on
the portal's cases). Requests are signed with HMAC-SM3. ``gateway report cases`` measures the
handling against each item's working-day time limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.service_network.handling import HandlingStream
from adapters.service_network.streams import CaseEventsStream, CasesStream, ItemsStream
from gateway.adapter import Adapter, PullStream, PushStream
from gateway.demo import DemoContext, DemoPart


class ServiceNetworkAdapter(Adapter):
    name = "service_network"
    description = (
        "Provincial government service network: items and case events (push), cases (pull)"
    )

    def __init__(self) -> None:
        self._pull: dict[str, PullStream] = {"cases": CasesStream(), "handling": HandlingStream()}
        self._push: dict[str, PushStream] = {
            "items": ItemsStream(),
            "case_events": CaseEventsStream(),
        }

    def pull_streams(self) -> Mapping[str, PullStream]:
        return self._pull

    def push_streams(self) -> Mapping[str, PushStream]:
        return self._push

    def simulator_app(self, settings: Mapping[str, Any]) -> Any:
        from adapters.service_network.simulator import build_app

        return build_app(settings)

    def demo_part(self, ctx: DemoContext) -> DemoPart:
        from adapters.service_network.demo import demo_part

        return demo_part(ctx)

    def reports(self) -> Mapping[str, Callable[..., None]]:
        from adapters.service_network.report import cases

        return {"cases": cases}


adapter = ServiceNetworkAdapter()
