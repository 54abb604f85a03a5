"""What makes two dead letters the same: where the input came from and what it was."""

from __future__ import annotations

import hashlib


def letter_identity(origin: str, raw_json: str) -> str:
    """sha256 of the input's stable origin and its raw JSON.

    ``origin`` must not change when the same input is read again: a file row is named by the
    file's content digest and the row (not the file's name, which an operator may change), a
    record of an HTTP page by nothing at all (its content says which record and version it is).
    """
    digest = hashlib.sha256(origin.encode())
    digest.update(b"\n")
    digest.update(raw_json.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
