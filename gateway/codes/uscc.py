"""Unified social credit codes (统一社会信用代码) per GB 32100-2015, written for the hot path.

Layout: registration authority (1-9, A, N, Y), organisation category, 6-digit region code,
9-character organisation code, check character. The alphabet has 31 characters (no I, O, S, V,
Z). The check is ``31 - Σ vᵢ·3^(i-1) mod 31``; since 34 ≡ 3 (mod 31) the sum is
``int(reversed, 34) mod 31`` once each character is rewritten as the base-34 digit of its value.

Where we deliberately differ from ``stdnum.cn.uscc``: codes whose registration authority is
``A`` (中央军委改革和编制办公室), ``N`` (农业农村部门) or ``Y`` (其他) are valid; stdnum
demands eight leading digits and rejects them. The region part is not looked up: codes keep
the region of the authority that issued them, including national-level ``100000``.

Two checks only warn, since codes in circulation break them and the code stays the key the
registration authority issued: a registration authority and organisation category that GB
32100's table does not pair (``uscc_category``), and an embedded organisation code (positions
9-17) whose GB 11714 check character does not match (``uscc_org_check``).
"""

from __future__ import annotations

import re

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_BASE34 = "0123456789abcdefghijklmnopqrstu"
_TO_BASE34 = str.maketrans(dict(zip(USCC_ALPHABET, _BASE34, strict=True)))
_CHARS = "0-9A-HJ-NPQRTUW-Y"
_FIRST17 = re.compile(f"[{_CHARS}]{{17}}", re.ASCII)
_USCC = re.compile(f"[1-9ANY][{_CHARS}][0-9]{{6}}[{_CHARS}]{{10}}", re.ASCII)
# GB 32100-2015 table 1: the registration authority (登记管理部门) and the categories
# (机构类别) it registers.
CATEGORIES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办管理的群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国及港澳台旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业农村: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class UsccError(ValueError):
    """Why a string is not a valid USCC; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a USCC."""
    if _FIRST17.fullmatch(first17) is None:
        raise ValueError("expected 17 characters of the USCC alphabet")
    total = int(first17.translate(_TO_BASE34)[::-1], 34) % 31
    return USCC_ALPHABET[(31 - total) % 31]


def org_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body (digits, A-Z)."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def validate_uscc(value: str) -> tuple[str, ...]:
    """Check ``value`` strictly; raises :class:`UsccError` with the reason. Answers the
    warning codes (usually none): ``uscc_category``, ``uscc_org_check``."""
    if len(value) != 18:
        raise UsccError("format", "must be 18 characters")
    if _USCC.fullmatch(value) is None:
        raise UsccError(
            "format",
            "must be authority 1-9/A/N/Y, category, 6-digit region, 10 characters of "
            "0-9 A-H J-N P-R T U W-Y",
        )
    total = int(value[:17].translate(_TO_BASE34)[::-1], 34) % 31
    if USCC_ALPHABET[(31 - total) % 31] != value[17]:
        raise UsccError("check_digit", "check character does not match (GB 32100)")
    found: tuple[str, ...] = ()
    if value[1] not in CATEGORIES[value[0]]:
        found += ("uscc_category",)
    if org_check_char(value[8:16]) != value[16]:
        found += ("uscc_org_check",)
    return found


_USCC_NOISE = str.maketrans(
    {" ": None, "\t": None, "\u00a0": None, "\u3000": None}
    | {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
)


def normalize_uscc(value: str) -> str:
    """A USCC as written to its canonical characters: no spaces inside, full-width letters
    and digits as ASCII, upper case. Nothing else changes (a wrong letter stays wrong)."""
    if value.isascii() and value.isalnum() and value.isupper():
        return value
    return value.translate(_USCC_NOISE).upper()


def is_valid_uscc(value: str) -> bool:
    """Whether :func:`validate_uscc` accepts ``value``."""
    try:
        validate_uscc(value)
    except UsccError:
        return False
    return True
