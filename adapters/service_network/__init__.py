"""The provincial government service network (贵州政务服务网, 一网通办).

Streams: ``items`` (push: the bureau's catalogue with its guides), ``cases`` (pull: applications
from the one-stop portal, by (update time, case number)), ``case_events`` (push: accepted,
approved or rejected, completed) and ``handling`` (pull: the local handling rules' decisions on
the portal's cases). Requests are signed with HMAC-SM3. ``gateway report cases`` measures the
handling against each item's working-day time limit. ``justice_notice`` writes the monthly
notice of 告知承诺 licence cases to the justice bureau's outbox (an export, not a platform
stream).
"""

from __future__ import annotations

from adapters.service_network.notice import JusticeNoticeStream
from adapters.service_network.streams import CaseEventsStream, CasesStream, ItemsStream
from gateway.adapter import DeclaredAdapter


class ServiceNetworkAdapter(DeclaredAdapter):
    name = "service_network"
    description = (
        "Provincial government service network: items and case events (push), cases (pull)"
    )
    report_refs = {  # noqa: RUF012
        "cases": "adapters.service_network.report:cases",
        "catalogue": "adapters.service_network.catalogue_report:catalogue",
    }
    view_refs = {  # noqa: RUF012
        "cases": "adapters.service_network.report:view",
        "catalogue": "adapters.service_network.catalogue_report:view",
    }
    headline_refs = {  # noqa: RUF012
        "cases": "adapters.service_network.report:headline",
        "catalogue": "adapters.service_network.catalogue_report:headline",
    }


adapter = ServiceNetworkAdapter(
    pull=[CasesStream()], push=[ItemsStream(), CaseEventsStream(), JusticeNoticeStream()]
)
