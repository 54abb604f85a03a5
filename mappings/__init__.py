"""The shipped mapping files: ``<adapter>/<stream>.yaml`` (pull, platform → canonical),
``<adapter>/<stream>.push.yaml`` (push, canonical → platform), ``files/<name>.yaml``."""

from __future__ import annotations

from pathlib import Path

from gateway.errors import ConfigError

MAPPINGS_DIR: Path = Path(__file__).resolve().parent


def resolve_mapping(ref: str, base_dir: Path | None = None) -> Path:
    """Where a job's mapping reference points.

    An existing path wins (a relative one is tried against ``base_dir`` first, then the working
    directory); otherwise the reference names a shipped file under :data:`MAPPINGS_DIR`.
    """
    candidate = Path(ref).expanduser()
    tries = [candidate] if candidate.is_absolute() else []
    if not candidate.is_absolute():
        if base_dir is not None:
            tries.append(Path(base_dir) / candidate)
        tries.append(candidate)
        tries.append(MAPPINGS_DIR / candidate)
    for path in tries:
        if path.is_file():
            return path
    raise ConfigError("mapping file not found", mapping=ref, searched=", ".join(map(str, tries)))
