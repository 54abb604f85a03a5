"""The optional payload archive: exact bodies, gzip-compressed, addressed by their SHA-256.

``ROOT/ab/ab12…ef.gz`` holds the body whose digest is ``ab12…ef``, the same digest the entry
records, so "what exactly did we send?" has an answer the chain vouches for. A body sent twice is
stored once. Files are written before the entry is appended: a transaction that rolls back leaves
an unreferenced file behind, which is harmless, never an entry without its file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gateway.errors import AuditError

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class PayloadArchive:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        # The digest comes from the database: never let it name a path outside the archive.
        if not _DIGEST.match(digest):
            raise AuditError("not a SHA-256 digest", digest=digest[:80])
        return self.root / digest[:2] / f"{digest}.gz"

    def put(self, body: bytes) -> str | None:
        """Store ``body`` (once) and answer its digest; ``None`` for an empty body."""
        if not body:
            return None
        digest = hashlib.sha256(body).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        # mtime=0 makes the file a function of the body alone.
        data = gzip.compress(body, compresslevel=6, mtime=0)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The archived body, checked against its digest."""
        path = self.path_for(digest)
        try:
            body = gzip.decompress(path.read_bytes())
        except FileNotFoundError:
            raise AuditError("payload is not in the archive", digest=digest) from None
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise AuditError("archived payload cannot be read", digest=digest) from exc
        if hashlib.sha256(body).hexdigest() != digest:
            raise AuditError("archived payload does not match its digest", digest=digest)
        return body

    def remove(self, digests: Iterable[str]) -> int:
        """Delete the files of ``digests`` (after a prune); answers how many were removed."""
        removed = 0
        for digest in digests:
            path = self.path_for(digest)
            if path.exists():
                path.unlink()
                removed += 1
        return removed
