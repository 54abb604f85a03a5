"""The labor-force platform's streams: ``persons`` (pull), ``verifications`` and ``jobs`` (push)."""

from __future__ import annotations

from gateway.http.streams import IncrementalPullStream, ReceiptPushStream

PERSONS_PATH = "/api/v1/persons"
VERIFICATIONS_PATH = "/api/v1/verifications"
RECEIPTS_PATH = "/api/v1/verifications/receipts"
POSTINGS_PATH = "/api/v1/jobs"
POSTINGS_RECEIPTS_PATH = "/api/v1/jobs/receipts"


class PersonsStream(IncrementalPullStream):
    """Persons read incrementally by (AAE036, AAC002), so a cursor resumes exactly."""

    name = "persons"
    path = PERSONS_PATH
    operation = "persons.list"
    updated_field = "AAE036"
    key_field = "AAC002"
    max_page_size = 5000


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
