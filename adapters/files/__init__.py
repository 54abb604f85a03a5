"""Generic files adapter: CSV (UTF-8, UTF-8 with BOM, GB18030), JSONL and XLSX.

Pull streams read the files waiting in ``options.inbox`` of the platform and move each to
``processed/`` or ``failed/`` once committed; push streams write one file per run into
``options.outbox``, published when the run closes (or by the next run, if this one dies).
Stream names are labels: the job's options choose files and format.
"""

from __future__ import annotations

from adapters.files.adapter import FilesAdapter, StreamsByName
from adapters.files.errors import FileReadError
from adapters.files.pull import FilesPullStream
from adapters.files.push import FilesPushStream
from adapters.files.rows import ERROR_FIELD

__all__ = [
    "ERROR_FIELD",
    "FileReadError",
    "FilesAdapter",
    "FilesPullStream",
    "FilesPushStream",
    "StreamsByName",
    "adapter",
]

adapter = FilesAdapter()
