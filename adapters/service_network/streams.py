"""The service network's streams: ``items`` and ``case_events`` (push), ``cases`` (pull).

Every request is signed with HMAC-SM3 by :class:`~gateway.http.client.PlatformClient` (the
platform's ``signature: hmac-sm3`` setting). Pushes carry each record's idempotency key, so a
resend after a lost answer is recognised by the platform, and the receipts routes answer what
became of earlier sends.
"""

from __future__ import annotations

from gateway.http.streams import IncrementalPullStream, ReceiptPushStream

# The platform's routes and limits, as its interface document gives them.
API = "/api/v1"
ITEMS_PATH = f"{API}/items"
ITEM_RECEIPTS_PATH = f"{API}/items/receipts"
CASES_PATH = f"{API}/cases"
CASE_HOLDINGS_PATH = f"{API}/cases/holdings"
CASE_RANGE_PATH = f"{API}/cases/range"
EVENTS_PATH = f"{API}/case-events"
EVENT_RECEIPTS_PATH = f"{API}/case-events/receipts"
MAX_BATCH = 500
MAX_PAGE = 1000


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
