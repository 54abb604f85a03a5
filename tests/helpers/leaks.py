"""The leak scanner: ID numbers with a valid check digit, mobile numbers and secrets in any text,
reported masked; shared by the CLI and console leak tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from stdnum.iso7064 import mod_11_2

from gateway.config import GatewayConfig, SecretRef
from gateway.masking import mask_id_number, mask_phone

_ALONE = r"(?:(?<=\\[ntr])|(?<![0-9A-Za-z]))"
ID_RE = re.compile(_ALONE + r"(\d{17}[\dXx])(?![0-9A-Za-z])")
MOBILE_RE = re.compile(_ALONE + r"(?:\+?86[- ]?)?(1[3-9]\d{9})(?![0-9A-Za-z])")


def _decoded_json(text: str) -> Iterable[str]:
    """Each JSON line re-rendered without escapes, so ``\\u4e09`` cannot hide what follows."""
    for line in text.splitlines():
        try:
            yield json.dumps(json.loads(line), ensure_ascii=False)
        except ValueError:
            continue


def find_leaks(where: str, text: str, secrets: Iterable[str]) -> list[str]:
    """Descriptions (masked) of every ID number, mobile number and secret in ``text``."""
    found: list[str] = []
    for variant in (text, *_decoded_json(text)):
        found += [
            f"{where}: ID number {mask_id_number(m)}"
            for m in ID_RE.findall(variant)
            if mod_11_2.is_valid(m.upper())
        ]
        found += [f"{where}: mobile {mask_phone(m)}" for m in MOBILE_RE.findall(variant)]
        found += [f"{where}: secret {s[:3]}…" for s in secrets if s in variant]
    return sorted(set(found))


def gateway_in(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def secret_values(config: GatewayConfig, directory: Path) -> list[str]:
    refs: list[SecretRef] = [p.app_secret for p in config.platforms.values() if p.app_secret]
    refs += [ref for ref in (config.audit.key, *config.secrets) if ref is not None]
    values = {ref.resolve(config.base_dir) for ref in refs}
    values |= {p.read_text(encoding="utf-8").strip() for p in directory.glob("secrets/*.txt")}
    return sorted(v for v in values if v)
