"""The provincial labor-force data platform (贵州省劳务就业大户数据平台).

Streams: ``persons`` (pull, keyed by resident ID number, 2,247,000 for the prefecture),
``verifications`` (push: the bureau's check results) and ``jobs`` (push: the bureau's job
postings, keyed by posting number). Requests are signed with HMAC-SHA256.
``gateway report labor`` gives the verification rate over the persons stored and received.
"""

from __future__ import annotations

from adapters.labor_force.streams import PersonsStream, PostingsStream, VerificationsStream
from gateway.adapter import DeclaredAdapter


class LaborForceAdapter(DeclaredAdapter):
    name = "labor_force"
    description = (
        "Provincial labor-force data platform: persons (pull), verifications and jobs (push)"
    )
    report_refs = {"labor": "adapters.labor_force.report:labor"}  # noqa: RUF012
    headline_refs = {"labor": "adapters.labor_force.report:headline"}  # noqa: RUF012
    view_refs = {"labor": "adapters.labor_force.report:view"}  # noqa: RUF012


adapter = LaborForceAdapter(pull=[PersonsStream()], push=[VerificationsStream(), PostingsStream()])
