"""Which text encoding an inbox file is in, as desktop software writes them.

The bureau's systems write UTF-8 (often with a BOM, as Excel does), GB18030 (what Chinese office
software still writes as "ANSI", sometimes with its own BOM ``84 31 95 33``) and UTF-16 with a
BOM (Excel's "Unicode text"). A BOM decides. Without one, GB18030 can decode almost any byte
sequence, so it is the last guess, never the first: the lines of the file's first chunk that are
not plain ASCII vote, and UTF-8 wins unless none of them is UTF-8 (a UTF-8 file with one cell
pasted from a GB18030 file is still UTF-8; that row alone is refused).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from adapters.files.errors import FileReadError

SNIFF_BYTES = 64 * 1024

# Longest first: the UTF-32 LE BOM begins with UTF-16 LE's, and neither is what we read.
_BOMS = (
    (b"\x84\x31\x95\x33", "gb18030"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAME_CODEC = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le"}


@dataclass(frozen=True)
class TextEncoding:
    """How to read a text file: the codec, and how many bytes of BOM to skip first."""

    codec: str
    bom: int = 0

    @property
    def label(self) -> str:
        """What the audit entry records: ``gb18030``, ``utf-8+bom``, …"""
        return f"{self.codec}+bom" if self.bom else self.codec


def sniff(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def detect_encoding(head: bytes, requested: str) -> TextEncoding:
    """The encoding to read a text file with, from its first bytes and the job's ``encoding``."""
    bom = next(((mark, codec) for mark, codec in _BOMS if head.startswith(mark)), None)
    wanted = _SAME_CODEC.get(requested, requested)
    if bom is not None and requested in ("auto", bom[1], "utf-8-sig", "utf-16"):
        return TextEncoding(bom[1], len(bom[0]))
    if requested != "auto":
        if b"\x00" in head and not wanted.startswith("utf-16"):
            raise FileReadError("binary content, not a text file", encoding=requested)
        return TextEncoding(wanted)
    if b"\x00" in head:
        # No CSV or JSONL text in these encodings holds NUL: a workbook, an archive, or UTF-16
        # without a BOM (then set the job's encoding).
        raise FileReadError("binary content, not a text file (UTF-16 needs a BOM or encoding:)")
    return TextEncoding(_vote(head))


def _vote(head: bytes) -> str:
    """UTF-8 if any non-ASCII line of ``head`` is UTF-8 (or none is non-ASCII), else GB18030."""
    lines = head.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            # The last line may end in the middle of a character where the chunk was cut.
            codecs.getincrementaldecoder("utf-8")("strict").decode(line, final=number < len(lines))
        except UnicodeDecodeError:
            continue
        return "utf-8"
    return "utf-8" if head.isascii() else "gb18030"
