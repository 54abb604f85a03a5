"""Which text encoding an inbox file is in.

The bureau's systems write UTF-8 (often with a BOM, as Excel does) or GB18030 (what Chinese
office software still writes as "ANSI"). GB18030 can decode almost any byte sequence, so it is
the last guess, never the first: UTF-8 is tried strictly on the first chunk and wins if it fits.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from adapters.files.errors import FileReadError

SNIFF_BYTES = 64 * 1024


def sniff(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def detect_encoding(head: bytes, requested: str) -> str:
    """The codec to read a text file with, from its first bytes and the job's ``encoding``."""
    if b"\x00" in head:
        # No CSV or JSONL text in these encodings holds NUL: a workbook, an archive or UTF-16.
        raise FileReadError("binary content, not a text file")
    if requested != "auto":
        # An explicit utf-8 still drops a BOM: it is never part of the first column's name.
        return "utf-8-sig" if requested == "utf-8" else requested
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # final=False: the chunk may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"
