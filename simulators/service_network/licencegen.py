"""The simulator's human-resources-service licence cases, some handled under 告知承诺.

An agency applying for the job-placement licence (人力资源服务许可) may replace the proof of
its premises and the proof of its qualified full-time staff by a signed commitment (证明事项
告知承诺制). The platform marks such a case ``notifyCommit: "1"`` and lists the commitments
made in ``commitItems`` (codes joined by ``,``: ``01`` 场所使用权证明, ``02`` 专职工作人员证明).
Deterministic by seed, like the registrations (:mod:`adapters.service_network.casegen`), whose
applicants and arrival pattern these cases share; their daily sequence starts at 800001.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from adapters.service_network.model import (
    LICENCE_ITEM_CODE,
    LICENCE_ITEM_LIMIT,
    LICENCE_ITEM_NAME,
)
from gateway.workdays import WorkCalendar
from simulators.service_network.casegen import CaseSettings, generate_cases

FIRST_SEQUENCE = 800_001
COMMITTED_SHARE = 0.7
# Which proofs a committing applicant replaces: both, the premises only, the staff only.
CHOICES = ((("01", "02"), 60), (("01",), 25), (("02",), 15))
AGENCY_KINDS = ("人力资源服务有限公司", "人才服务有限公司", "职业介绍有限公司")


def generate_licence_cases(
    seed: int, count: int, start: date, end: date, region: str, calendar: WorkCalendar
) -> list[dict[str, Any]]:
    """``count`` licence applications received from ``start`` to ``end``, in receipt order."""
    settings = CaseSettings(
        seed=seed,
        count=count,
        start=start,
        end=end,
        item_code=LICENCE_ITEM_CODE,
        item_name=LICENCE_ITEM_NAME,
        promised_limit=LICENCE_ITEM_LIMIT,
        region=region,
        incomplete_share=0.1,
        stream="service-network-licences",
        first_sequence=FIRST_SEQUENCE,
    )
    rng = random.Random(f"service-network-commitments:{seed}")
    cases = generate_cases(settings, calendar)
    for case in cases:
        # The registrations' name ends in an industry and 有限公司; an agency's in its kind.
        case["entName"] = case["entName"][:4] + rng.choice(AGENCY_KINDS)
        committed = rng.random() < COMMITTED_SHARE
        chosen = rng.choices([c for c, _ in CHOICES], weights=[w for _, w in CHOICES])[0]
        case["notifyCommit"] = "1" if committed else "0"
        case["commitItems"] = ",".join(chosen) if committed else ""
    return cases
