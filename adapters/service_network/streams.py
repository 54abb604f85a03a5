"""The service network's streams: ``items`` and ``case_events`` (push), ``cases`` (pull).

Every request is signed with HMAC-SM3 by :class:`~gateway.http.client.PlatformClient` (the
platform's ``signature: hmac-sm3`` setting). Pushes carry each record's idempotency key, so a
resend after a lost answer is recognised by the platform, and the receipts routes answer what
became of earlier sends.
"""

from __future__ import annotations

from adapters.service_network.api import (
    CASE_HOLDINGS_PATH,
    CASE_RANGE_PATH,
    CASES_PATH,
    EVENT_RECEIPTS_PATH,
    EVENTS_PATH,
    ITEM_RECEIPTS_PATH,
    ITEMS_PATH,
    MAX_BATCH,
    MAX_PAGE,
)
from gateway.http.streams import IncrementalPullStream, ReceiptPushStream


class CasesStream(IncrementalPullStream):
    """Applications from the one-stop portal, read incrementally by (updateTime, caseNo)."""

    name = "cases"
    path = CASES_PATH
    operation = "cases.list"
    updated_field = "updateTime"
    key_field = "caseNo"
    holdings_path = CASE_HOLDINGS_PATH
    range_path = CASE_RANGE_PATH
    default_page_size = MAX_PAGE
    max_page_size = MAX_PAGE


class ItemsStream(ReceiptPushStream):
    """The bureau's catalogue of power and public-service items, with their guides."""

    name = "items"
    batch_limit = MAX_BATCH
    path = ITEMS_PATH
    receipts_path = ITEM_RECEIPTS_PATH


class CaseEventsStream(ReceiptPushStream):
    """What the bureau did with each case: accepted, approved or rejected, completed."""

    name = "case_events"
    batch_limit = MAX_BATCH
    path = EVENTS_PATH
    receipts_path = EVENT_RECEIPTS_PATH
