"""Synthetic household-registration residents (户籍人口) of Shenzhen's Public Security.

The data-sharing pipeline needs a realistic system of record to read from:
coherent addresses and households, resident IDs whose check characters and
embedded birth dates and genders behave like real ones, and a known share of
the defects real registries have. The generator returns what the department
holds (``records``) and, kept apart, what is really true about each row
(``truth``), so tests and benchmarks can score the pipeline's matching and
cleaning without the pipeline ever seeing the answers.

All sampling is vectorised with numpy (a few hundred thousand rows per
second), and the same seed always gives the same frames.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs
import psycopg
from psycopg import sql

from silobreak.city import vocab
from silobreak.identifiers import RESIDENT_ID_CHECK_CHARS, RESIDENT_ID_WEIGHTS

__all__ = [
    "DEFECT_KINDS",
    "RECORD_COLUMNS",
    "SHENZHEN_DIVISIONS",
    "TRUTH_COLUMNS",
    "VARIATION_KINDS",
    "People",
    "Residents",
    "generate_residents",
    "residents_to_postgres",
]

#: Columns of ``Residents.records``, in order: the department's own schema.
RECORD_COLUMNS: tuple[str, ...] = (
    "person_no",
    "name",
    "gender",
    "birth_date",
    "id_card_no",
    "division_code",
    "registered_address",
    "household_no",
    "phone",
    "updated_at",
)

#: Columns of ``Residents.truth``, in order.
TRUTH_COLUMNS: tuple[str, ...] = ("person_no", "person_id", "defect", "variation")

#: Defects injected at ``defect_rate`` (split evenly); each row has at most one.
DEFECT_KINDS: tuple[str, ...] = (
    "bad_check_digit",
    "impossible_birth_date",
    "missing_id",
    "missing_name",
    "gender_mismatch",
    "duplicate",
)

#: Harmless typing variations that a pipeline must normalise, not reject.
VARIATION_KINDS: tuple[str, ...] = ("lowercase_x", "id_space", "name_space")

#: Current Shenzhen district codes (GB/T 2260) and names.
SHENZHEN_DIVISIONS: dict[str, str] = {d.code: d.name for d in vocab.DISTRICTS}

VARIATION_RATE = 0.02
"""Share of rows carrying one harmless variation (never on a defective row)."""

BORN_ELSEWHERE_RATE = 0.15
"""Share of residents whose ID was issued outside Shenzhen (they moved their hukou in)."""

RETIRED_CODE_RATE = 0.02
"""Share of residents whose ID carries a retired Shenzhen division code."""

MALE_RATE = 0.51

_HOUSEHOLD_SIZE_P: tuple[float, ...] = (0.25, 0.26, 0.26, 0.15, 0.08)  # sizes 1..5

#: (first age, last age, share in per cent) of Shenzhen's registered population,
#: young and working-age heavy: most residents are 20-60.
_AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 4, 5.5), (5, 9, 6.0), (10, 14, 5.5), (15, 19, 4.5), (20, 24, 5.0),
    (25, 29, 7.0), (30, 34, 10.0), (35, 39, 11.0), (40, 44, 10.0), (45, 49, 8.5),
    (50, 54, 7.0), (55, 59, 6.0), (60, 64, 4.5), (65, 69, 3.5), (70, 74, 2.5),
    (75, 79, 1.5), (80, 84, 1.0), (85, 89, 0.5), (90, 95, 0.2),
)  # fmt: skip

_HEAD_MIN_AGE = 22
_TWO_CHAR_GIVEN_RATE = 0.78
_ZIPF_OFFSET = 20.0
_CHILD_AGE = 18
_CHILD_PHONE_AGE = 16
_CHILD_INHERITS_SURNAME = 0.85
_ADULT_INHERITS_SURNAME = 0.3
_UPDATES_SINCE = np.datetime64("2012-01-01", "s")
_TZ = "Asia/Shanghai"
_UTC_OFFSET_S = 8 * 3600

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]


@dataclass(frozen=True, eq=False)
class People:
    """The true attributes of the real persons behind the register, as numpy arrays.

    Person ``i`` is ``person_id`` ``P{i + 1:09d}`` in the truth; duplicates
    and defects of the register do not touch these values, so the other
    departments of the synthetic city can sample the same people from them.
    Household-level arrays are indexed by ``household``.
    """

    name: StrArray
    """Full name (numpy ``<U4``: at most a two-character surname and two given characters)."""
    surname_len: IntArray
    male: BoolArray
    birth: npt.NDArray[np.datetime64]
    """Date of birth (``datetime64[D]``)."""
    id_card_no: StrArray
    """The real 18-character resident ID (valid check character, real birth date)."""
    phone: IntArray
    """Mobile number on file as an integer; meaningless where ``phone_missing``."""
    phone_missing: BoolArray
    household: IntArray
    household_head: IntArray
    """Person index of the head of each person's household."""
    household_no: StrArray
    household_division: StrArray
    household_address: StrArray
    household_district: IntArray
    """Index into :data:`vocab.DISTRICTS` of each household."""


@dataclass(frozen=True, eq=False)
class Residents:
    """The department's records and, kept apart, the truth about each of them.

    ``records`` is all the pipeline may read. ``truth`` (same row order, joined
    on ``person_no``) says which real person a row is and which defect or
    variation was injected, for scoring only. ``people`` holds the true
    attributes of every person (what the other departments sample from).
    """

    records: pd.DataFrame
    truth: pd.DataFrame
    people: People | None = None


def _probabilities(weights: Any) -> npt.NDArray[np.float64]:
    """Normalise weights to probabilities for ``Generator.choice``."""
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    return w / total


def _age_probabilities(min_age: int = 0) -> npt.NDArray[np.float64]:
    """Per-year probabilities of ages 0-95 from the bands, optionally adults only."""
    weights = np.zeros(96)
    for first, last, share in _AGE_BANDS:
        weights[first : last + 1] = share / (last - first + 1)
    weights[:min_age] = 0.0
    return _probabilities(weights)


def _split_counts(total: int, parts: int) -> list[int]:
    """Split ``total`` as evenly as possible into ``parts`` counts."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _table(values: Any) -> StrArray:
    """A numpy string array to index with integer arrays (a lookup table)."""
    return np.asarray(values, dtype=np.str_)


def _cat(*parts: Any) -> StrArray:
    """Concatenate string arrays (or scalars) element-wise."""
    out = np.asarray(parts[0], dtype=np.str_)
    for part in parts[1:]:
        out = np.strings.add(out, np.asarray(part, dtype=np.str_))
    return out


#: UCS-4 codes of the four decimal digits of every number below 10**4, packed
#: as two uint64 per row: numbers are converted four digits per division and
#: one gather, which is much faster than formatting integers.
_FOUR_DIGIT_CODES: npt.NDArray[np.uint64] = np.ascontiguousarray(
    ((np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1])) % 10 + ord("0")).astype("<u4")
).view("<u8")


def _digit_codes(values: IntArray, width: int) -> npt.NDArray[np.uint32]:
    """UCS-4 codes of the zero-padded decimal digits, one row per value."""
    n_chunks = -(-width // 4)
    chunks = np.empty((values.size, n_chunks), dtype=np.int64)
    rest = values.astype(np.int64)
    for i in range(n_chunks - 1, -1, -1):
        rest, chunks[:, i] = np.divmod(rest, 10_000)
    codes = np.take(_FOUR_DIGIT_CODES, chunks, axis=0).view("<u4")
    return codes.reshape(values.size, n_chunks * 4)[:, n_chunks * 4 - width :]


def _text(codes: npt.NDArray[np.uint32]) -> StrArray:
    """Rows of UCS-4 codes as strings, by reinterpretation (numpy's ``U`` is UCS-4).

    A row must be left-packed: zeros only at its end, which numpy drops.
    """
    width = codes.shape[1]
    ucs4 = np.ascontiguousarray(codes, dtype="<u4")
    return ucs4.view(f"<U{width}").reshape(codes.shape[0])


def _digits(values: IntArray, width: int, prefix: str = "") -> StrArray:
    """``prefix`` plus the zero-padded decimal digits of non-negative integers."""
    head = np.array([ord(c) for c in prefix], dtype="<u4")
    head_codes = np.broadcast_to(head, (values.size, head.size))
    return _text(np.hstack([head_codes, _digit_codes(values, width)]))


class _Sampler:
    """Draw indices from several weighted pools with one search per draw.

    Pool k's cumulative probabilities are shifted to (k, k + 1], so a uniform
    u plus the pool number lands in that pool's part of one sorted array.
    """

    def __init__(self, pools: list[Any]) -> None:
        cdfs = []
        for k, weights in enumerate(pools):
            cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
            cdf /= cdf[-1]
            cdf[-1] = 1.0
            cdfs.append(cdf + k)
        self.cdf: npt.NDArray[np.float64] = np.concatenate(cdfs)
        self.offsets: IntArray = np.cumsum([0, *(len(w) for w in pools)], dtype=np.int64)

    def draw(self, rng: np.random.Generator, pool: IntArray) -> IntArray:
        """One index per element of ``pool`` (the pool to draw from), local to that pool."""
        flat = np.searchsorted(self.cdf, pool + rng.random(pool.size), side="right")
        local: IntArray = flat.astype(np.int64) - self.offsets[pool]
        return local


def _zipf(n: int) -> npt.NDArray[np.float64]:
    """Rank-based weights: a pool's first items are the common ones, as in real names."""
    return _probabilities(1.0 / (np.arange(n) + _ZIPF_OFFSET))


def _households(rng: np.random.Generator, n_people: int) -> tuple[IntArray, IntArray, IntArray]:
    """Cut people into households of 1-5: (household of person, rank in it, sizes)."""
    if n_people == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    sizes = rng.choice(np.arange(1, 6), size=n_people, p=_probabilities(_HOUSEHOLD_SIZE_P))
    ends = np.cumsum(sizes)
    n_households = int(np.searchsorted(ends, n_people)) + 1
    sizes = sizes[:n_households].astype(np.int64)
    sizes[-1] -= int(ends[n_households - 1]) - n_people
    household = np.repeat(np.arange(n_households, dtype=np.int64), sizes)
    starts = np.cumsum(sizes) - sizes
    rank = np.arange(n_people, dtype=np.int64) - starts[household]
    return household, rank, sizes


# Lookup tables for addresses: every road with its street and district as one
# string, house numbers with 号, building (and unit) parts, room numbers.
_MAX_NUMBER, _MAX_BUILDING, _MAX_UNIT, _MAX_FLOOR, _MAX_FLAT = 400, 40, 4, 33, 8
_ROADS: list[tuple[int, int, str]] = [
    (d, s, f"深圳市{district.name}{street}街道{road}")
    for d, district in enumerate(vocab.DISTRICTS)
    for s, (street, roads) in enumerate(district.streets)
    for road in roads
]
_ROAD_TEXT = _table([text for _, _, text in _ROADS])
_HOUSE_NUMBER_TEXT = _table([f"{i}号" for i in range(_MAX_NUMBER)])
_BUILDING_TEXT = _table(
    [""]
    + [f"{b}栋" for b in range(_MAX_BUILDING)]
    + [f"{b}栋{u}单元" for b in range(_MAX_BUILDING) for u in range(_MAX_UNIT + 1)]
)
_ROOM_TEXT = _table(["", *(str(r) for r in range(1, (_MAX_FLOOR + 1) * 100))])


def _addresses(rng: np.random.Generator, n_households: int) -> tuple[IntArray, StrArray, StrArray]:
    """Draw each household's district and road, and build its division code and address."""
    districts = vocab.DISTRICTS
    n_districts = len(districts)
    district = rng.choice(n_districts, size=n_households, p=_probabilities([d.weight for d in districts])).astype(
        np.int64
    )
    # A uniform street of the district, then a uniform road of the street.
    road_district = np.array([d for d, _, _ in _ROADS], dtype=np.int64)
    road_weight = [1.0 / len(districts[d].streets) / len(districts[d].streets[s][1]) for d, s, _ in _ROADS]
    sampler = _Sampler([np.compress(road_district == d, road_weight) for d in range(n_districts)])
    first_road = np.searchsorted(road_district, np.arange(n_districts))
    road = first_road[district] + sampler.draw(rng, district)
    # Log-uniform house and building numbers: low numbers are the common ones.
    log_max = np.log([[_MAX_NUMBER], [_MAX_BUILDING]])
    number, building = np.floor(np.exp(rng.uniform(0.0, log_max, (2, n_households)))).astype(np.int64)
    unit = rng.integers(1, _MAX_UNIT + 1, n_households)
    room = rng.integers(1, _MAX_FLOOR + 1, n_households) * 100 + rng.integers(1, _MAX_FLAT + 1, n_households)
    # Village houses have no building part; flats have 栋 and mostly 单元.
    kind = rng.choice(3, size=n_households, p=[0.15, 0.15, 0.70])
    building_part = np.where(
        kind == 0,
        0,
        np.where(
            kind == 1,
            1 + building,
            1 + _MAX_BUILDING + building * (_MAX_UNIT + 1) + unit,
        ),
    )
    address = _cat(
        _ROAD_TEXT[road],
        _HOUSE_NUMBER_TEXT[number],
        _BUILDING_TEXT[building_part],
        _ROOM_TEXT[np.where(kind == 0, 0, room)],
    )
    division = _table([d.code for d in districts])[district]
    return district, division, address


def _id_region_codes(rng: np.random.Generator, district: IntArray, birth_ym: IntArray) -> IntArray:
    """Choose digits 1-6 of each ID: the district at birth, elsewhere, or a retired code."""
    districts = vocab.DISTRICTS
    n = district.size
    home = np.array([int(d.code) for d in districts], dtype=np.int64)[district]
    since = np.array([d.id_code_since for d in districts], dtype=np.int64)[district]
    before = np.array([int(d.id_code_before or d.code) for d in districts], dtype=np.int64)
    region = np.where(birth_ym < since, before[district], home)

    # Before districts existed the city issued 440301, and the former 宝安县
    # (now 宝安, 龙岗, 龙华, 坪山, 光明) issued 440321.
    former_county = np.isin(home, [440306, 440307, 440309, 440310, 440311])
    cutoff = vocab.RETIRED_SHENZHEN_DIVISIONS
    retired_code = np.where(former_county, 440321, 440301)
    eligible = birth_ym < np.where(former_county, cutoff["440321"], cutoff["440301"])
    share = float(eligible.mean()) if n else 0.0
    p_retired = min(1.0, RETIRED_CODE_RATE / share) if share > 0 else 0.0
    retired = eligible & (rng.random(n) < p_retired)
    region = np.where(retired, retired_code, region)

    elsewhere = ~retired & (rng.random(n) < BORN_ELSEWHERE_RATE / (1.0 - RETIRED_CODE_RATE))
    codes = np.array([int(c) for c, _ in vocab.OTHER_PROVINCE_DIVISIONS], dtype=np.int64)
    origin = rng.choice(codes, size=n, p=_probabilities([w for _, w in vocab.OTHER_PROVINCE_DIVISIONS]))
    return np.where(elsewhere, origin, region).astype(np.int64)


def _impossible_dates(rng: np.random.Generator, ymd: IntArray) -> IntArray:
    """Turn real yyyymmdd dates into ones no calendar has (month 13, Feb 30, ...)."""
    year, month, day = ymd // 10000, (ymd // 100) % 100, ymd % 100
    mode = rng.integers(0, 6, ymd.size)
    thirty_day_month = np.array([4, 6, 9, 11])[rng.integers(0, 4, ymd.size)]
    options = np.stack(
        [
            year * 10000 + 1300 + day,  # month 13
            year * 10000 + day,  # month 00
            year * 10000 + 200 + rng.integers(30, 32, ymd.size),  # Feb 30/31
            year * 10000 + month * 100,  # day 00
            year * 10000 + thirty_day_month * 100 + 31,  # Apr/Jun/Sep/Nov 31
            year * 10000 + month * 100 + 32,  # day 32
        ]
    )
    return options[mode, np.arange(ymd.size)].astype(np.int64)


_SURNAME_CODES = np.array(
    [[ord(s[0]), ord(s[1]) if len(s) > 1 else 0] for s, _ in vocab.SURNAMES],
    dtype="<u4",
).reshape(-1, 2)
_GIVEN_POOLS = (
    vocab.MALE_GIVEN_CHARS,
    vocab.FEMALE_GIVEN_CHARS,
    vocab.NEUTRAL_GIVEN_CHARS,
)
_MALE, _FEMALE, _NEUTRAL = 0, 1, 2
_GIVEN_CODES = np.array([ord(c) for pool in _GIVEN_POOLS for c in pool], dtype="<u4")


def _names(rng: np.random.Generator, male: BoolArray, age: IntArray, head: IntArray) -> tuple[StrArray, IntArray]:
    """Full names, and the length of each surname (to find where the given name starts).

    Surnames follow their real frequency; children mostly carry the head's,
    other adults (spouses keep their own in China) sometimes do. Given names
    have one or two characters: single characters and second characters
    mostly come from the gendered pools (伟, 芳), first characters of
    two-character names are often neutral generation-style ones (晓, 文, 子).
    Names are assembled as UCS-4 codes, not by string formatting.
    """
    n = male.size
    surname = rng.choice(
        len(vocab.SURNAMES),
        size=n,
        p=_probabilities([w for _, w in vocab.SURNAMES]),
    )
    p_inherit = np.where(age < _CHILD_AGE, _CHILD_INHERITS_SURNAME, _ADULT_INHERITS_SURNAME)
    inherits = (head != np.arange(n)) & (rng.random(n) < p_inherit)
    surname = np.where(inherits, surname[head], surname)

    sampler = _Sampler([_zipf(len(pool)) for pool in _GIVEN_POOLS])
    gendered = np.where(male, _MALE, _FEMALE)
    two_chars = rng.random(n) < _TWO_CHAR_GIVEN_RATE
    neutral_first = two_chars & (rng.random(n) < 0.5)
    neutral_second = two_chars & ~neutral_first & (rng.random(n) < 0.25)
    pool_first = np.where(neutral_first, _NEUTRAL, gendered)
    pool_second = np.where(neutral_second, _NEUTRAL, gendered)
    offsets = sampler.offsets
    first = _GIVEN_CODES[offsets[pool_first] + sampler.draw(rng, pool_first)]
    second = _GIVEN_CODES[offsets[pool_second] + sampler.draw(rng, pool_second)]
    second = np.where(two_chars, second, 0).astype("<u4")

    s0, s1 = _SURNAME_CODES[surname, 0], _SURNAME_CODES[surname, 1]
    compound = s1 != 0
    codes = np.stack(
        [
            s0,
            np.where(compound, s1, first),
            np.where(compound, first, second),
            np.where(compound, second, 0),
        ],
        axis=1,
    ).astype("<u4")
    return _text(codes), 1 + compound.astype(np.int64)


def _objects(values: Any, missing: BoolArray | None = None) -> Any:
    """An object-dtype column of Python values, with None where ``missing``.

    Object dtype keeps None as None (pandas 3 would turn it into NaN in its
    default string dtype), which is what a database driver hands back.
    """
    out = np.asarray(values).astype(object)
    if missing is not None:
        out[missing] = None
    return pd.Series(out, dtype=object)


# Labels indexed by the int codes used while generating.
_SEXES = np.array(["女", "男"], dtype=object)
_DEFECT_LABELS = np.array([None, *DEFECT_KINDS], dtype=object)
_VARIATION_LABELS = np.array([None, *VARIATION_KINDS], dtype=object)


def generate_residents(
    n: int,
    *,
    seed: int = 42,
    defect_rate: float = 0.03,
    today: datetime.date = datetime.date(2026, 11, 1),
) -> Residents:
    """Generate ``n`` registration rows of Shenzhen residents, with known defects.

    ``defect_rate`` is the share of defective rows, split evenly among
    :data:`DEFECT_KINDS`; about 2% of the clean rows also carry a harmless
    :data:`VARIATION_KINDS` typing variation. ``today`` anchors ages and
    update times so that the output never depends on the clock.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 0.0 <= defect_rate <= 0.5:
        raise ValueError(f"defect_rate must be within [0, 0.5], got {defect_rate}")
    rng = np.random.default_rng(seed)
    kind_counts = _split_counts(round(n * defect_rate), len(DEFECT_KINDS))
    n_dup = kind_counts[-1]
    n_people = n - n_dup  # distinct real people; duplicates are extra rows of some

    # Households and their addresses; the first member (the head) is an adult.
    household, rank, sizes = _households(rng, n_people)
    n_households = sizes.size
    hh_district, hh_division, hh_address = _addresses(rng, n_households)
    hh_serial = rng.choice(10**9, size=n_households, replace=False).astype(np.int64)
    hh_no = _cat(hh_division, _digits(hh_serial, 9))
    head = (np.cumsum(sizes) - sizes)[household]
    is_head = rank == 0

    # Gender, age and birth date.
    male = rng.random(n_people) < MALE_RATE
    age = np.where(
        is_head,
        rng.choice(96, size=n_people, p=_age_probabilities(_HEAD_MIN_AGE)),
        rng.choice(96, size=n_people, p=_age_probabilities()),
    )
    # Born before today (at least a day), so every record was updated before today.
    days_back = np.maximum(np.floor((age + rng.random(n_people)) * 365.2425).astype(np.int64), 1)
    birth = np.datetime64(today, "D") - days_back.astype("m8[D]")
    month_start = birth.astype("M8[M]")
    year = birth.astype("M8[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (birth - month_start.astype("M8[D]")).astype(np.int64) + 1
    ymd = year * 10000 + month * 100 + day

    full_name, surname_len = _names(rng, male, age, head)

    # Mobile phones: children and the elderly often give a relative's number, or none.
    prefixes = np.array([int(p) for p, _ in vocab.MOBILE_PREFIXES], dtype=np.int64)
    prefix = rng.choice(prefixes, size=n_people, p=_probabilities([w for _, w in vocab.MOBILE_PREFIXES]))
    own_phone = prefix * 10**8 + rng.integers(0, 10**8, n_people)
    u = rng.random(n_people)
    child, elderly = age < _CHILD_PHONE_AGE, age >= 70
    use_head_phone = ~is_head & ((child & (u < 0.55)) | (elderly & (u < 0.35)))
    no_phone = (child & (u >= 0.55) & (u < 0.95)) | (~child & (u > 0.93))
    phone = np.where(use_head_phone, own_phone[head], own_phone)
    phone_missing = np.where(use_head_phone, no_phone[head], no_phone)

    # Last update of the record: some time since 2012 (or birth), before today.
    birth_s = birth.astype("M8[s]").astype(np.int64) - _UTC_OFFSET_S
    start_s = np.maximum(birth_s, _UPDATES_SINCE.astype(np.int64) - _UTC_OFFSET_S)
    end_s = np.datetime64(today, "s").astype(np.int64) - _UTC_OFFSET_S
    span = np.maximum(end_s - start_s, 1)
    updated_s = start_s + np.floor(rng.random(n_people) * span).astype(np.int64)

    # Defects: disjoint random rows per kind, coded 1..5 (0 = clean); the
    # duplicates (code 6) are added as extra rows further down.
    order = rng.permutation(n_people)
    defect = np.zeros(n_people, dtype=np.int8)
    bounds = np.cumsum([0, *kind_counts[:-1]])
    for code, (lo, hi) in enumerate(itertools.pairwise(bounds), 1):
        defect[order[lo:hi]] = code
    is_kind = {kind: defect == code for code, kind in enumerate(DEFECT_KINDS, 1)}
    clean = order[bounds[-1] :]

    # Resident ID numbers: region, birth date (made impossible for that defect),
    # sequence whose last digit is odd for men, then the MOD 11-2 check.
    region = _id_region_codes(rng, hh_district[household], year * 100 + month)
    seq = rng.integers(0, 100, n_people) * 10 + rng.integers(0, 5, n_people) * 2 + male
    bad_date = is_kind["impossible_birth_date"]
    id_ymd = ymd.copy()
    id_ymd[bad_date] = _impossible_dates(rng, ymd[bad_date])
    id_codes = _digit_codes(region * 10**11 + id_ymd * 1000 + seq, 17)
    weights = np.asarray(RESIDENT_ID_WEIGHTS, dtype=np.int64)
    check = ((id_codes.astype(np.int64) - ord("0")) @ weights) % 11
    bad_check = is_kind["bad_check_digit"]
    check[bad_check] = (check[bad_check] + rng.integers(1, 11, bad_check.sum())) % 11

    # Harmless variations on clean rows only, coded 1..3 (0 = none).
    variation = np.zeros(n_people, dtype=np.int8)
    var_counts = _split_counts(round(n_people * VARIATION_RATE), len(VARIATION_KINDS))
    x_rows = clean[check[clean] == RESIDENT_ID_CHECK_CHARS.index("X")][: var_counts[0]]
    variation[x_rows] = 1
    rest = np.setdiff1d(clean, x_rows, assume_unique=True)  # keeps the shuffled order
    variation[rest[: var_counts[1]]] = 2
    variation[rest[var_counts[1] : var_counts[1] + var_counts[2]]] = 3
    # Duplicates copy rows that are otherwise clean, so each row has one defect at most.
    dup_source = np.sort(rest[var_counts[1] + var_counts[2] :][:n_dup])

    check_codes = np.array([ord(c) for c in RESIDENT_ID_CHECK_CHARS], dtype="<u4")
    id_codes = np.hstack([id_codes, check_codes[check][:, None]])
    id_codes[x_rows, 17] = ord("x")
    id_card = _text(id_codes).astype(object)
    spaced = np.flatnonzero(variation == 2)
    # A stray space after the region or birth-date part, or at the end.
    cut = np.array([6, 14, 18])[rng.integers(0, 3, spaced.size)]
    id_card[spaced] = [v[:c] + " " + v[c:] for v, c in zip(id_card[spaced], cut.tolist(), strict=True)]
    id_card[is_kind["missing_id"]] = None

    name = full_name.astype(object)
    spaced = np.flatnonzero(variation == 3)
    # "王 伟" as typed between IME words, or a trailing space from a web form.
    cut = np.where(rng.random(spaced.size) < 0.7, surname_len[spaced], 4)
    name[spaced] = [
        v[:c] + " " + v[c:] if c < len(v) else v + " " for v, c in zip(name[spaced], cut.tolist(), strict=True)
    ]
    name[is_kind["missing_name"]] = None
    gender_male = male ^ is_kind["gender_mismatch"]

    # Rows: every person, plus the duplicates; ordered by the new person_no.
    rows = np.concatenate([np.arange(n_people, dtype=np.int64), dup_source])
    row_defect = np.concatenate([defect, np.full(n_dup, len(DEFECT_KINDS), np.int8)])
    row_variation = np.concatenate([variation, np.zeros(n_dup, dtype=np.int8)])
    person_no_num = rng.choice(10**10, size=n, replace=False).astype(np.int64)
    sort = np.argsort(person_no_num, kind="stable")
    rows, row_defect, row_variation = rows[sort], row_defect[sort], row_variation[sort]
    person_no = _digits(person_no_num[sort], 10, prefix="SZ").astype(object)
    hh_rows = household[rows]

    def column(values: Any) -> Any:
        return pd.Series(values, dtype=object)

    records = pd.DataFrame(
        {
            "person_no": column(person_no),
            "name": column(name[rows]),
            "gender": column(_SEXES[gender_male[rows].astype(np.int8)]),
            "birth_date": column(birth[rows].astype(object)),
            "id_card_no": column(id_card[rows]),
            # Converting per household, then indexing, makes fewer Python strings.
            "division_code": column(hh_division.astype(object)[hh_rows]),
            "registered_address": column(hh_address.astype(object)[hh_rows]),
            "household_no": column(hh_no.astype(object)[hh_rows]),
            "phone": _objects(_digits(phone[rows], 11), phone_missing[rows]),
            "updated_at": pd.Series(pd.to_datetime(updated_s[rows], unit="s", utc=True).tz_convert(_TZ)),
        },
        columns=list(RECORD_COLUMNS),
    )
    truth = pd.DataFrame(
        {
            "person_no": column(person_no),
            "person_id": _objects(_digits(rows + 1, 9, prefix="P")),
            "defect": column(_DEFECT_LABELS[row_defect]),
            "variation": column(_VARIATION_LABELS[row_variation]),
        },
        columns=list(TRUTH_COLUMNS),
    )
    # The real IDs: real birth date and the check character that goes with it
    # (no random draws here, so the records above do not depend on this).
    true_codes = _digit_codes(region * 10**11 + ymd * 1000 + seq, 17)
    true_check = ((true_codes.astype(np.int64) - ord("0")) @ weights) % 11
    people = People(
        name=full_name,
        surname_len=surname_len,
        male=male,
        birth=birth,
        id_card_no=_text(np.hstack([true_codes, check_codes[true_check][:, None]])),
        phone=phone,
        phone_missing=phone_missing,
        household=household,
        household_head=head,
        household_no=hh_no,
        household_division=hh_division,
        household_address=hh_address,
        household_district=hh_district,
    )
    return Residents(records=records, truth=truth, people=people)


_DDL = sql.SQL(
    """CREATE TABLE IF NOT EXISTS {table} (
    person_no text PRIMARY KEY,
    name text,
    gender text,
    birth_date date,
    id_card_no text,
    division_code text,
    registered_address text,
    household_no text,
    phone text,
    updated_at timestamptz
)"""
)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_CHUNK_ROWS = 50_000


def _copy_column(column: Any, name: str) -> list[str]:
    r"""One column as COPY text fields: escaped text, or ``\N`` for NULL."""
    if name == "updated_at":
        missing = column.isna().to_numpy()
        utc = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("M8[us]")
        text = np.strings.add(np.datetime_as_string(utc), "+00")
        fields: list[str] = np.where(missing, r"\N", text).tolist()
        return fields
    values: list[Any] = column.tolist()
    if name == "birth_date":
        return [r"\N" if v is None or v != v else v.isoformat() for v in values]
    text_values = [None if v is None or v != v else str(v) for v in values]
    # Escaping is only needed if a backslash, tab or line break occurs at all.
    joined = "".join(v for v in text_values if v is not None)
    if any(c in joined for c in "\\\t\n\r"):
        text_values = [None if v is None else v.translate(_COPY_ESCAPES) for v in text_values]
    return [r"\N" if v is None else v for v in text_values]


def residents_to_postgres(
    residents: Residents,
    conninfo: str,
    schema: str = "public_security",
    table: str = "residents",
) -> int:
    """Load the records (never the truth) as the department's table; return rows written.

    Replaces the contents in one transaction (TRUNCATE then COPY), so readers
    see either the old registry or the new one, never half of it. The COPY
    text is prepared column by column (dates formatted by numpy) and sent in
    large blocks instead of being adapted value by value.
    """
    records = residents.records
    target = sql.Identifier(schema, table)
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in RECORD_COLUMNS)
    fields = [_copy_column(records[c], c) for c in RECORD_COLUMNS]
    lines = ["\t".join(row) + "\n" for row in zip(*fields, strict=True)]
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        cur.execute(_DDL.format(table=target))
        cur.execute(sql.SQL("TRUNCATE {}").format(target))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(target, columns)
        with cur.copy(copy_sql) as copy:
            for start in range(0, len(lines), _COPY_CHUNK_ROWS):
                copy.write("".join(lines[start : start + _COPY_CHUNK_ROWS]).encode())
        written = cur.rowcount
    return written if written >= 0 else len(records)
