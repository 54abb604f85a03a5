"""The simulated labor-force population: 2,247,000 persons that cost no memory.

A person is a pure function of ``(seed, index)``: nothing is stored, so any person (and any
page) is generated on demand in O(1). Random bits come from tabulation hashing (two table
lookups and an XOR per 60-bit word, tables drawn once per seed), and each field takes its own
slice of them through a precomputed weighted table: no ``random.Random`` per person, no
big-integer arithmetic on the hot path.

ID numbers are unique by construction: the index is mapped to a (birth day, sequence) pair by a
three-round Feistel network over the mixed radix (days, 1000), a bijection, and the region code
is drawn freely since that pair alone is unique. The network is invertible, so
:meth:`Population.index_of` decodes an ID number back to its index in O(1).

Update times (``AAE036``) come in groups of ``group_size`` consecutive indexes that share one
second, spread over 2025 in increasing order; a cursor therefore needs the ID number as a
tie-breaker, which is what the platform's ordering by ``(AAE036, AAC002)`` provides.
"""

from __future__ import annotations

import calendar
import random
import time
from array import array
from bisect import bisect_left
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

from simulators.labor_force.population_tables import (
    EDUCATION,
    EDUCATION_AGE_LIMITS,
    EMPLOYMENT,
    EMPLOYMENT_AT_HOME,
    ETHNICITIES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    HCZT,
    PHONE_PREFIXES,
    PROVINCE_PREFECTURE,
    REGIONS,
    SURNAMES,
    TWO_CHAR_GIVEN,
    WORK_PLACES,
)

DEFAULT_SIZE = 2_247_000
DEFAULT_SEED = 2022
DEFAULT_GROUP_SIZE = 7
DEFAULT_INVALID_RATE = 0.02
INVALID_KINDS = ("bad_check_digit", "unknown_code", "missing_field", "malformed_date")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CST_OFFSET = 8 * 3600  # Asia/Shanghai has kept UTC+8 without daylight saving since 1991
BASE_START = calendar.timegm((2025, 1, 1, 0, 0, 0)) - CST_OFFSET
BASE_SPAN = 365 * 86_400

# Ages 16 to 65 in 2026.
_AGE_YEAR = 2026
FIRST_BIRTH = date(1961, 1, 1)
BIRTHS = tuple(
    (FIRST_BIRTH + timedelta(days=n)).strftime("%Y%m%d")
    for n in range((date(2010, 12, 31) - FIRST_BIRTH).days + 1)
)
_DAYS = len(BIRTHS)
_BIRTH_DAY = {text: day for day, text in enumerate(BIRTHS)}
# Every (birth day, sequence) pair is one person at most: that bounds the population.
MAX_SIZE = _DAYS * 1000

T = TypeVar("T")
_M64 = (1 << 64) - 1
_CLOCK = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))
_SECONDS = tuple(f":{s:02d}" for s in range(60))
_LOW_BITS = 13  # index = high << 13 | low: one table per part, 8,192 and 2,230 entries
_LOW_MASK = (1 << _LOW_BITS) - 1
_M30 = (1 << 30) - 1
_CHECK = "10X98765432"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def mix64(x: int) -> int:
    """splitmix64's finalizer: a cheap, well-spread 64-bit hash."""
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _M64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _M64
    return x ^ (x >> 31)


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643)."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def format_time(seconds: int) -> str:
    """Unix seconds as the platform writes time: ``YYYY-MM-DD HH:MM:SS`` in Asia/Shanghai."""
    # Called once per group of a page: table lookups are several times faster than strftime.
    day, second = divmod(seconds + CST_OFFSET, 86_400)
    minute, second = divmod(second, 60)
    return _date_text(day) + _CLOCK[minute] + _SECONDS[second]


@lru_cache(maxsize=4096)
def _date_text(day: int) -> str:
    return time.strftime("%Y-%m-%d ", time.gmtime(day * 86_400))


def parse_time(text: str) -> int:
    """The platform's time text as Unix seconds; ``ValueError`` if it is not one."""
    return calendar.timegm(time.strptime(text, TIME_FORMAT)) - CST_OFFSET


def weighted(pairs: Sequence[tuple[T, int]], size: int = 1024) -> tuple[T, ...]:
    """A table of ``size`` entries in which each value appears in proportion to its weight."""
    total = sum(weight for _, weight in pairs)
    counts = [weight * size // total for _, weight in pairs]
    by_remainder = sorted(range(len(pairs)), key=lambda n: -(pairs[n][1] * size % total))
    for n in by_remainder[: size - sum(counts)]:
        counts[n] += 1
    return tuple(
        value for (value, _), count in zip(pairs, counts, strict=True) for _ in range(count)
    )


def _digit_sum(text: str, first_weight: int) -> int:
    """The text's share of the GB 11643 weighted sum, its first digit at ``first_weight``."""
    return sum(int(d) * w for d, w in zip(text, _WEIGHTS[first_weight:], strict=False))


_YOUNG_AFTER = _AGE_YEAR - max(age for age, _, _ in EDUCATION_AGE_LIMITS)
# Given names by gender (0 female, 1 male), spread over 4,096 entries.
_GIVEN = tuple(
    tuple(chars[n % len(chars)] for n in range(4096)) for chars in (GIVEN_FEMALE, GIVEN_MALE)
)
# What a drawn region, birth day or sequence contributes, packed so one lookup fetches it:
# its text, its share of the check-digit sum, and what else depends on it.
_REGION_INFO = weighted(
    [((code, _digit_sum(code, 0), PROVINCE_PREFECTURE + name), w) for code, name, w in REGIONS]
)
_DAY_INFO = tuple((birth, _digit_sum(birth, 6), int(birth[:4]) > _YOUNG_AFTER) for birth in BIRTHS)
# The sequence's parity is the gender (odd: male, "1"), which picks the given names.
_SEQ_INFO = tuple(
    (f"{seq:03d}", _digit_sum(f"{seq:03d}", 14), "12"[~seq & 1], _GIVEN[seq & 1])
    for seq in range(1000)
)
_ETHNICITY = weighted(ETHNICITIES)
_EDUCATION = weighted(EDUCATION)
_EMPLOYMENT = weighted(EMPLOYMENT)
_PLACES = weighted(WORK_PLACES)
_SURNAMES = weighted(SURNAMES)
_HCZT = weighted(HCZT, 16_384)
_PHONE_PREFIX = tuple(int(PHONE_PREFIXES[n % len(PHONE_PREFIXES)]) * 10**8 for n in range(64))
_TWO_CHAR_BELOW = TWO_CHAR_GIVEN * 64 // 1000
_KEY = itemgetter("AAC002")
_STAMP = itemgetter("AAE036")
WORK_PLACE_CHOICES = tuple(place for place, _ in WORK_PLACES if place)


def phone_number(bits: int) -> str:
    """A plausible mobile number drawn from 36 random bits."""
    return str(_PHONE_PREFIX[bits & 63] + ((bits >> 6) & _M30) % 100_000_000)


def _young_education(age: int, code: str) -> str:
    """The education a person of ``age`` can hold instead of ``code``, if too young for it."""
    for youngest, codes, instead in EDUCATION_AGE_LIMITS:
        if age < youngest and code in codes:
            return instead
    return code


class Population:
    """Persons ``0 .. size-1`` of one seed; every method is O(1) in the population's size."""

    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        seed: int = DEFAULT_SEED,
        *,
        invalid_rate: float = DEFAULT_INVALID_RATE,
        group_size: int = DEFAULT_GROUP_SIZE,
    ) -> None:
        if not 1 <= size <= MAX_SIZE:
            raise ValueError(f"size must be between 1 and {MAX_SIZE}")
        if group_size < 1 or not 0.0 <= invalid_rate <= 1.0:
            raise ValueError("group_size must be positive and invalid_rate within [0, 1]")
        self.size = size
        self.seed = seed
        self.group_size = group_size
        self.group_count = -(-size // group_size)
        self._salt = mix64(seed & _M64 ^ 0x5EED)
        self._invalid_below = round(invalid_rate * 16_384)
        rng = random.Random(self._salt)
        lows, highs = 1 << _LOW_BITS, (MAX_SIZE >> _LOW_BITS) + 1
        self._low = [tuple(rng.getrandbits(60) for _ in range(lows)) for _ in range(3)]
        self._high = [tuple(rng.getrandbits(60) for _ in range(highs)) for _ in range(3)]
        self._f1 = tuple(rng.randrange(_DAYS) for _ in range(1000))
        self._f2 = tuple(rng.randrange(1000) for _ in range(_DAYS))
        self._f3 = tuple(rng.randrange(_DAYS) for _ in range(1000))
        self._step = max(1, BASE_SPAN // self.group_count)
        self.base_end = self.group_time(self.group_count - 1)
        self._counties: dict[str, array[int]] | None = None

    # -- identity ---------------------------------------------------------------------------

    def index_of(self, id_number: str) -> int | None:
        """The index of the person whose published ``AAC002`` is ``id_number``, else ``None``."""
        if len(id_number) != 18 or not id_number[:17].isdigit():
            return None
        day = _BIRTH_DAY.get(id_number[6:14])
        if day is None:
            return None
        # The Feistel rounds of records(), undone in reverse order.
        seq = int(id_number[14:17])
        left = (day - self._f3[seq]) % _DAYS
        right = (seq - self._f2[left]) % 1000
        left = (left - self._f1[right]) % _DAYS
        index = left * 1000 + right
        if index >= self.size or self.id_number(index) != id_number:
            return None
        return index

    def id_number(self, index: int) -> str:
        """The published ``AAC002`` of ``index`` (with its wrong check digit, if it has one).

        The same draws as :meth:`records`, for the ID alone (it resolves every pushed item).
        """
        low, high = index & _LOW_MASK, index >> _LOW_BITS
        day, seq = self._slot(index)
        code, region_sum, _ = _REGION_INFO[(self._low[0][low] ^ self._high[0][high]) & 1023]
        birth, birth_sum, _ = _DAY_INFO[day]
        seq_text, seq_sum, _, _ = _SEQ_INFO[seq]
        check = _CHECK[(region_sum + birth_sum + seq_sum) % 11]
        if self.invalid_kind(index) == "bad_check_digit":
            check = _wrong_check(check, (self._low[2][low] ^ self._high[2][high]) >> 38)
        return code + birth + seq_text + check

    def _slot(self, index: int) -> tuple[int, int]:
        """(birth day, sequence) of ``index``: three Feistel rounds over (days, 1000)."""
        left, right = divmod(index, 1000)
        left = (left + self._f1[right]) % _DAYS
        seq = (right + self._f2[left]) % 1000
        return (left + self._f3[seq]) % _DAYS, seq

    def invalid_kind(self, index: int) -> str | None:
        """Which way the record of ``index`` is broken, or ``None`` for a valid record."""
        low, high = index & _LOW_MASK, index >> _LOW_BITS
        w2 = self._low[1][low] ^ self._high[1][high]
        if w2 >> 46 >= self._invalid_below:
            return None
        w3 = self._low[2][low] ^ self._high[2][high]
        return INVALID_KINDS[(w3 >> 36) & 3]

    def county_of(self, index: int) -> str:
        """The household region (``AAB299``) of ``index``: the county code it was drawn with."""
        low, high = index & _LOW_MASK, index >> _LOW_BITS
        return str(_REGION_INFO[(self._low[0][low] ^ self._high[0][high]) & 1023][0])

    def county_indexes(self, county: str) -> array[int]:
        """The indexes of the population whose ``AAB299`` starts with ``county``, ascending.

        Built once, in one pass over the population (about 4 bytes a person), so a listing
        filtered by county costs O(page) afterwards instead of a scan of everyone per page.
        """
        if self._counties is None:
            low0, high0, info = self._low[0], self._high[0], _REGION_INFO
            slots: dict[str, array[int]] = {}
            for code, _, _ in info:
                slots.setdefault(code, array("l"))
            for index in range(self.size):
                low, high = index & _LOW_MASK, index >> _LOW_BITS
                slots[info[(low0[low] ^ high0[high]) & 1023][0]].append(index)
            self._counties = slots
        found = [a for code, a in self._counties.items() if code.startswith(county)]
        if len(found) == 1:
            return found[0]
        return array("l", sorted(i for a in found for i in a))

    def listing(self, indexes: Sequence[int], skip: Container[int] = ()) -> list[dict[str, Any]]:
        """The persons of ``indexes`` (ascending, whole groups) not in ``skip``, in listing
        order: by update time (group), then by ``AAC002`` within a group."""
        size = self.group_size
        kept = [i for i in indexes if i not in skip] if skip else list(indexes)
        stamps = {g: format_time(self.group_time(g)) for g in {i // size for i in kept}}
        records = self.records(kept, stamps, 0)
        ordered: list[dict[str, Any]] = []
        for _, chunk in groupby(records, key=_STAMP):
            ordered += sorted(chunk, key=_KEY)
        return ordered

    def county_span(
        self, county: str, start: int, want: int, skip: Container[int] = ()
    ) -> tuple[list[dict[str, Any]], int]:
        """The persons of ``county`` from index ``start`` on, about ``want`` of them (whole
        groups, fewer when ``skip`` leaves some out), in listing order; and the index the next
        span starts from (``size`` once the county is exhausted)."""
        found = self.county_indexes(county)
        first = bisect_left(found, start)
        if first >= len(found) or want < 1:
            return [], self.size
        last_group = found[min(first + want, len(found)) - 1] // self.group_size
        end = min((last_group + 1) * self.group_size, self.size)
        return self.listing(found[first : bisect_left(found, end)], skip), end

    # -- update times -----------------------------------------------------------------------

    def group_time(self, group: int) -> int:
        """Unix seconds shared by the persons of ``group``; strictly increasing with it."""
        jitter = mix64(group ^ self._salt) % self._step if self._step > 1 else 0
        return BASE_START + group * self._step + jitter

    def first_group_at_or_after(self, seconds: int) -> int:
        """The first group whose time is ``>= seconds`` (``group_count`` if none)."""
        if seconds <= BASE_START:
            return 0
        group = (seconds - BASE_START) // self._step
        if group >= self.group_count:
            return self.group_count
        return group if self.group_time(group) >= seconds else group + 1

    def span_records(
        self, first_group: int, end_group: int, skip: Container[int] = ()
    ) -> list[dict[str, Any]]:
        """The persons of groups ``first_group .. end_group-1`` not in ``skip``, in listing
        order: by update time (group), then by ``AAC002`` within a group."""
        end_group = min(end_group, self.group_count)
        if first_group >= end_group:
            return []
        size = self.group_size
        first, last = first_group * size, min(end_group * size, self.size)
        stamps = [format_time(self.group_time(g)) for g in range(first_group, end_group)]
        if skip:
            kept = [i for i in range(first, last) if i not in skip]
            records = self.records(kept, stamps, first_group)
            chunks = [list(chunk) for _, chunk in groupby(records, key=_STAMP)]
        else:
            records = self.records(range(first, last), stamps, first_group)
            chunks = [records[n : n + size] for n in range(0, len(records), size)]
        ordered: list[dict[str, Any]] = []
        for chunk in chunks:
            chunk.sort(key=_KEY)
            ordered += chunk
        return ordered

    def person(self, index: int) -> dict[str, Any]:
        """The record of ``index`` as the platform first publishes it."""
        if not 0 <= index < self.size:
            raise IndexError("person index out of range")
        group = index // self.group_size
        return self.records((index,), (format_time(self.group_time(group)),), group)[0]

    # -- generation -------------------------------------------------------------------------

    def records(
        self,
        indexes: Iterable[int],
        stamps: Sequence[str] | Mapping[int, str],
        first_group: int,
    ) -> list[dict[str, Any]]:
        """The records of ``indexes`` in that order; ``stamps[n]`` is the update time of group
        ``first_group + n``.

        The hot path of a 2.2-million-person pull: tables are bound to locals once per call.
        Bits: w1 region, family name, given name, ethnicity; w2 education, employment, work
        place, verification, validity; w3 phone number and the way an invalid record breaks.
        """
        low1, low2, low3 = self._low
        high1, high2, high3 = self._high
        f1, f2, f3 = self._f1, self._f2, self._f3
        invalid_below, size = self._invalid_below, self.group_size
        region_info, day_info, seq_info = _REGION_INFO, _DAY_INFO, _SEQ_INFO
        ethnicity, education, employment, places = _ETHNICITY, _EDUCATION, _EMPLOYMENT, _PLACES
        surnames, prefixes, at_home = _SURNAMES, _PHONE_PREFIX, EMPLOYMENT_AT_HOME
        verification = _HCZT
        low_mask, low_bits, days, check_chars = _LOW_MASK, _LOW_BITS, _DAYS, _CHECK
        two_chars, m30 = _TWO_CHAR_BELOW, _M30
        out: list[dict[str, Any]] = []
        append = out.append
        for index in indexes:
            low, high = index & low_mask, index >> low_bits
            w1 = low1[low] ^ high1[high]
            w2 = low2[low] ^ high2[high]
            w3 = low3[low] ^ high3[high]
            # _slot(), inlined: a call per person costs more than the rounds themselves.
            left = (index // 1000 + f1[index % 1000]) % days
            seq = (index % 1000 + f2[left]) % 1000
            day = (left + f3[seq]) % days
            code, region_sum, home = region_info[w1 & 1023]
            birth, birth_sum, young = day_info[day]
            seq_text, seq_sum, gender, given = seq_info[seq]
            check = check_chars[(region_sum + birth_sum + seq_sum) % 11]
            name = surnames[(w1 >> 10) & 1023] + given[(w1 >> 20) & 4095]
            if (w1 >> 32) & 63 < two_chars:
                name += given[(w1 >> 38) & 4095]
            degree = education[w2 & 1023]
            if young:
                degree = _young_education(_AGE_YEAR - int(birth[:4]), degree)
            status = employment[(w2 >> 10) & 1023]
            record: dict[str, Any] = {
                "AAC002": code + birth + seq_text + check,
                "AAC003": name,
                "AAC004": gender,
                "AAC005": ethnicity[(w1 >> 50) & 1023],
                "AAC006": birth,
                "AAB299": code,
                "AAC011": degree,
                "AAC008": status,
                "AAE006": home if status in at_home else places[(w2 >> 20) & 1023] or home,
                "AAE005": str(prefixes[w3 & 63] + ((w3 >> 6) & m30) % 100_000_000),
                "HCZT": verification[(w2 >> 30) & 16383],
                "AAE036": stamps[index // size - first_group],
            }
            if w2 >> 46 < invalid_below:
                _break(record, INVALID_KINDS[(w3 >> 36) & 3], w3 >> 38, check)
            append(record)
        return out


def _break(record: dict[str, Any], kind: str, bits: int, check: str) -> None:
    """Make ``record`` invalid in the way ``kind`` names; it keeps an 18-character AAC002."""
    variant = bits & 1
    if kind == "bad_check_digit":
        record["AAC002"] = record["AAC002"][:17] + _wrong_check(check, bits)
    elif kind == "unknown_code":
        record["AAC005" if variant else "AAC004"] = "77" if variant else "5"
    elif kind == "missing_field":
        del record["AAC003"]
    else:
        year = record["AAC006"][:4]
        record["AAC006"] = f"{year}0231" if variant else f"{year}-13-01"


def _wrong_check(check: str, bits: int) -> str:
    """A check character other than ``check``, chosen by ``bits``."""
    return _CHECK[(_CHECK.index(check) + 1 + (bits >> 1) % 10) % 11]
