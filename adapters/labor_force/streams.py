"""The labor-force platform's streams: ``persons`` (pull), ``verifications`` and ``jobs`` (push)."""

from __future__ import annotations

import re

from gateway.codes.regions import region_codes
from gateway.http.streams import IncrementalPullStream, ReceiptPushStream

PERSONS_PATH = "/api/v1/persons"
VERIFICATIONS_PATH = "/api/v1/verifications"
RECEIPTS_PATH = "/api/v1/verifications/receipts"
HOLDINGS_PATH = "/api/v1/persons/holdings"
RANGE_PATH = "/api/v1/persons/range"
POSTINGS_PATH = "/api/v1/jobs"
POSTINGS_RECEIPTS_PATH = "/api/v1/jobs/receipts"


class PersonsStream(IncrementalPullStream):
    """Persons read incrementally by (AAE036, AAC002), so a cursor resumes exactly.

    Partitioned by county: the list keeps the persons whose household region (``AAB299``)
    starts with a county's six digits; ``counties:PPPP`` names the counties of prefecture
    ``PPPP`` in force today (GB/T 2260), e.g. ``counties:5226``.
    """

    name = "persons"
    path = PERSONS_PATH
    operation = "persons.list"
    updated_field = "AAE036"
    key_field = "AAC002"
    max_page_size = 5000
    holdings_path = HOLDINGS_PATH
    range_path = RANGE_PATH
    partition_param = "AAB299"
    partition_pattern = r"\d{6}"

    def named_partitions(self, name: str, argument: str) -> list[str] | None:
        if name != "counties" or not re.fullmatch(r"\d{4}", argument):
            return None
        return sorted(region_codes(argument, level="county"))


class VerificationsStream(ReceiptPushStream):
    """The bureau's verification results, answered per record with a receipt or a reason."""

    name = "verifications"
    path = VERIFICATIONS_PATH
    receipts_path = RECEIPTS_PATH


class PostingsStream(ReceiptPushStream):
    """The bureau's job postings (岗位信息), keyed by posting number, answered per record."""

    name = "jobs"
    path = POSTINGS_PATH
    receipts_path = POSTINGS_RECEIPTS_PATH
