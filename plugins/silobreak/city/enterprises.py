"""The city's real enterprises and sole traders, each with a resident as legal representative.

Market Regulation registers them; Human Resources sees them as employers.
Names follow the registration rules (深圳市 + trade name + industry + legal
form, or for an individual business 深圳市 + district + trade name + shop
kind) and are unique, as the registry enforces. Unified social credit codes
(GB 32100) carry the registration authority (9, market regulation), the
entity type (1 enterprise, 2 individual business), a Shenzhen division code,
the organisation code (new ones ``MA5...`` since the 2015 reform) and the
check character, all computed vectorised from the constants of
:mod:`silobreak.identifiers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city import lexicon, vocab
from silobreak.city.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    ObjArray,
    age_on,
    base_day,
    choice,
    day_window,
    digits,
    stream,
    text_column,
)
from silobreak.city.population import MARKET_REGULATION, Population
from silobreak.city.residents import _HOUSE_NUMBER_TEXT, _ROAD_TEXT, _ROADS, _text
from silobreak.identifiers import CREDIT_CODE_ALPHABET, CREDIT_CODE_WEIGHTS, ORGANISATION_CODE_WEIGHTS

__all__ = [
    "STATUSES",
    "Enterprises",
    "build_enterprises",
    "credit_check_codes",
    "organisation_check_codes",
]

INDIVIDUAL_SHARE = 0.25
SECOND_ENTERPRISE_SHARE = 0.15
NEW_PER_DAY = 0.001
"""Enterprises registered per day, per enterprise on day 0."""

STATUSES: tuple[str, ...] = tuple(s for s, _ in lexicon.ENTERPRISE_STATUSES)
_REFORM_DAY = int(np.datetime64("2015-10-01", "D").astype(np.int64))
_EARLIEST_DAY = int(np.datetime64("1990-01-01", "D").astype(np.int64))
_OLD_ORG_PREFIXES = ("19", "27", "55", "61", "66", "67", "69", "70", "72", "73", "74", "75", "76", "77", "78", "79")

_ORG_VALUES = np.zeros(128, dtype=np.int64)
for _i, _c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    _ORG_VALUES[ord(_c)] = _i  # GB 11714: digits, then A=10 .. Z=35
_CREDIT_VALUES = np.zeros(128, dtype=np.int64)
for _i, _c in enumerate(CREDIT_CODE_ALPHABET):
    _CREDIT_VALUES[ord(_c)] = _i  # GB 32100: position in the 31-character alphabet
_ALPHABET_CODES = np.array([ord(c) for c in CREDIT_CODE_ALPHABET], dtype="<u4")
_LOOSE_CHECK_CODES = np.array([ord(c) for c in "0123456789X"], dtype="<u4")
_BRAND_CODES = np.array([ord(c) for c in dict.fromkeys(lexicon.BRAND_CHARS)], dtype="<u4")


def organisation_check_codes(body: np.ndarray) -> np.ndarray:
    """GB 11714 check characters (as UCS-4 codes) of organisation-code bodies, (n, 8) UCS-4 codes."""
    total = _ORG_VALUES[body] @ np.asarray(ORGANISATION_CODE_WEIGHTS, dtype=np.int64)
    check = 11 - total % 11
    return np.where(check == 10, ord("X"), np.where(check == 11, ord("0"), ord("0") + check)).astype("<u4")


def credit_check_codes(first17: np.ndarray) -> np.ndarray:
    """GB 32100 check characters (as UCS-4 codes) of (n, 17) UCS-4 codes."""
    total = _CREDIT_VALUES[first17] @ np.asarray(CREDIT_CODE_WEIGHTS, dtype=np.int64)
    out: np.ndarray = _ALPHABET_CODES[(31 - total % 31) % 31]
    return out


@dataclass(frozen=True, eq=False)
class Enterprises:
    """Every enterprise ever registered up to the city's day, one index each."""

    enterprise_id: ObjArray
    credit_code: ObjArray
    name: ObjArray
    brand: ObjArray
    """The trade name (字号)."""
    individual: BoolArray
    """Individual business (个体工商户, credit code 92...) rather than a company (91...)."""
    type_text: ObjArray
    industry: IntArray
    """Index into :data:`lexicon.INDUSTRIES` (companies) or :data:`lexicon.SHOPS` (individual businesses)."""
    food: IntArray
    """Food licence kind: 0 none, 1 food sales, 2 catering, 3 staff canteen."""
    representative: IntArray
    """Person index of the legal representative (operator of an individual business)."""
    district: IntArray
    address: ObjArray
    capital: FloatArray
    """Registered capital in 10,000 yuan; NaN for individual businesses, which declare none."""
    established_day: IntArray
    status: IntArray
    """Index into :data:`STATUSES` on day 0."""
    created_day: IntArray

    @property
    def size(self) -> int:
        return int(self.enterprise_id.size)

    def existing(self, day: int) -> BoolArray:
        """Enterprises registered by ``day``."""
        out: BoolArray = self.created_day <= day
        return out


def _brands(rng: np.random.Generator, n: int) -> np.ndarray:
    codes = _BRAND_CODES[rng.integers(0, _BRAND_CODES.size, (n, 3))]
    codes[rng.random(n) < 0.7, 2] = 0  # mostly two characters
    return _text(codes)


_DISTRICT_NAMES = np.array([d.name for d in vocab.DISTRICTS])
_DISTRICT_CODES = np.array([int(d.code) for d in vocab.DISTRICTS], dtype=np.int64)
_ROAD_DISTRICT = np.array([d for d, _, _ in _ROADS], dtype=np.int64)
_ROAD_FIRST = np.searchsorted(_ROAD_DISTRICT, np.arange(len(vocab.DISTRICTS)))
_ROAD_COUNT = np.bincount(_ROAD_DISTRICT, minlength=len(vocab.DISTRICTS))
_FLOOR_TEXT = np.array([f"{i}层" for i in range(40)])
_NUMBER_TEXT = np.array([str(i) for i in range(4000)])
_INDUSTRY_TEXT = np.array([i for i, _, _ in lexicon.INDUSTRIES])
_SHOP_TEXT = np.array([s for s, _, _ in lexicon.SHOPS])
_COMPANY_TYPE_TEXT = np.array([t for t, _ in lexicon.COMPANY_TYPES])


def _enterprise_names(
    brand: np.ndarray, individual: BoolArray, industry: IntArray, district: IntArray, kind: IntArray
) -> ObjArray:
    company = np.strings.add(np.strings.add("深圳市", brand), _INDUSTRY_TEXT[np.where(individual, 0, industry)])
    joint_stock = np.char.startswith(_COMPANY_TYPE_TEXT[kind], "股份")
    company = np.strings.add(company, np.where(joint_stock, "股份有限公司", "有限公司"))
    shop = np.strings.add(np.strings.add("深圳市", _DISTRICT_NAMES[district]), brand)
    shop = np.strings.add(shop, _SHOP_TEXT[np.where(individual, industry, 0)])
    return text_column(np.where(individual, shop, company))


def _credit_codes(
    rng: np.random.Generator, individual: BoolArray, district: IntArray, established_day: IntArray
) -> ObjArray:
    n = individual.size
    codes = np.zeros((n, 18), dtype="<u4")
    codes[:, 0] = ord("9")
    codes[:, 1] = np.where(individual, ord("2"), ord("1"))
    region = np.where(rng.random(n) < 0.8, 440300, _DISTRICT_CODES[district])
    codes[:, 2:8] = digits(region, 6).view("<u4").reshape(n, 6)
    body = _ALPHABET_CODES[rng.integers(0, 31, (n, 8))]
    new_style = ~individual & (established_day >= _REFORM_DAY)
    body[new_style, :3] = [ord("M"), ord("A"), ord("5")]
    old_style = ~individual & ~new_style
    prefixes = np.array([[ord(p[0]), ord(p[1])] for p in _OLD_ORG_PREFIXES], dtype="<u4")
    body[old_style, :2] = prefixes[rng.integers(0, len(_OLD_ORG_PREFIXES), int(old_style.sum()))]
    body[old_style, 2:] = ord("0") + rng.integers(0, 10, (int(old_style.sum()), 6))
    body[individual, 0] = ord("L")
    codes[:, 8:16] = body
    # Individual businesses often carry no valid organisation check (GB 32100 allows it).
    codes[:, 16] = np.where(individual, _LOOSE_CHECK_CODES[rng.integers(0, 11, n)], organisation_check_codes(body))
    codes[:, 17] = credit_check_codes(codes[:, :17])
    return text_column(_text(codes))


def _addresses(rng: np.random.Generator, individual: BoolArray, district: IntArray) -> ObjArray:
    n = individual.size
    road = _ROAD_FIRST[district] + np.floor(rng.random(n) * _ROAD_COUNT[district]).astype(np.int64)
    number = np.floor(np.exp(rng.uniform(0.0, np.log(399), n))).astype(np.int64)
    street = np.strings.add(_ROAD_TEXT[road], _HOUSE_NUMBER_TEXT[number])
    building = np.strings.add(_brands(rng, n), np.array(lexicon.BUILDINGS)[rng.integers(0, len(lexicon.BUILDINGS), n)])
    floor = rng.integers(1, 40, n)
    office = np.strings.add(
        np.strings.add(building, _FLOOR_TEXT[floor]), _NUMBER_TEXT[floor * 100 + rng.integers(1, 30, n)]
    )
    shop = np.strings.add(_NUMBER_TEXT[rng.integers(1, 40, n)], "号商铺")
    return text_column(np.strings.add(street, np.where(individual, shop, office)))


def _distinct(values: ObjArray, taken: set[str], redraw: Callable[[IntArray], ObjArray], what: str) -> ObjArray:
    """Redraw values until none repeats another or one already ``taken``; then take them all.

    Only the clashing values are checked again, so a handful of clashes in a
    million values costs a handful of checks.
    """
    clash = pd.Series(values, dtype=object).duplicated().to_numpy(copy=True)
    if taken:  # later days: a few new values against the many taken
        clash |= np.fromiter((v in taken for v in values), dtype=np.bool_, count=values.size)
    seen = set(values[~clash].tolist()) | taken
    rows = np.flatnonzero(clash)
    for _ in range(100):
        if not rows.size:
            break
        values[rows] = redraw(rows)
        again = []
        for row in rows.tolist():
            value = values[row]
            if value in seen:
                again.append(row)
            else:
                seen.add(value)
        rows = np.array(again, dtype=np.int64)
    if rows.size:
        raise RuntimeError(f"could not draw {rows.size} distinct {what}")
    taken.update(values.tolist())
    return values


def _make(
    rng: np.random.Generator,
    population: Population,
    representative: IntArray,
    created_day: int,
    taken_names: set[str],
    taken_codes: set[str],
) -> dict[str, np.ndarray]:
    n = representative.size
    individual = rng.random(n) < INDIVIDUAL_SHARE
    industry = np.where(
        individual,
        choice(rng, len(lexicon.SHOPS), n, [w for _, w, _ in lexicon.SHOPS]),
        choice(rng, len(lexicon.INDUSTRIES), n, [w for _, w, _ in lexicon.INDUSTRIES]),
    )
    food = np.where(
        individual,
        np.array([f for _, _, f in lexicon.SHOPS])[np.where(individual, industry, 0)],
        np.array([f for _, _, f in lexicon.INDUSTRIES])[np.where(individual, 0, industry)],
    )
    food = np.where(~individual & (food == 0) & (rng.random(n) < 0.02), 3, food)
    kind = choice(rng, len(lexicon.COMPANY_TYPES), n, [w for _, w in lexicon.COMPANY_TYPES])
    home = population.households.district[np.maximum(population.household[representative], 0)]
    anywhere = choice(rng, len(vocab.DISTRICTS), n, [d.weight for d in vocab.DISTRICTS])
    district = np.where(rng.random(n) < 0.6, home, anywhere)

    if created_day == 0:
        mean_years = np.where(individual, 4.0, 6.0)
        back = np.floor(rng.exponential(mean_years * 365.25)).astype(np.int64) + 1
        adult_from = population.birth_day[representative] + 18 * 366
        established = np.minimum(np.maximum(base_day() - back, np.maximum(adult_from, _EARLIEST_DAY)), base_day() - 1)
        status = choice(rng, len(STATUSES), n, [p for _, p in lexicon.ENTERPRISE_STATUSES])
    else:
        start, _ = day_window(created_day)
        established = np.full(n, (start + 8 * 3600) // 86400, dtype=np.int64)
        status = np.zeros(n, dtype=np.int64)

    brand = _brands(rng, n)

    def rename(rows: IntArray) -> ObjArray:  # names are unique in the registry: a new trade name
        brand[rows] = _brands(rng, rows.size)
        return _enterprise_names(brand[rows], individual[rows], industry[rows], district[rows], kind[rows])

    name = _distinct(_enterprise_names(brand, individual, industry, district, kind), taken_names, rename, "names")
    code = _distinct(
        _credit_codes(rng, individual, district, established),
        taken_codes,
        lambda rows: _credit_codes(rng, individual[rows], district[rows], established[rows]),
        "credit codes",
    )

    capital = np.round(np.exp(rng.normal(np.log(100.0), 1.2, n)), 1).clip(1.0, 100_000.0)
    return {
        "credit_code": code,
        "name": name,
        "brand": text_column(brand),
        "individual": individual,
        "type_text": text_column(np.where(individual, lexicon.INDIVIDUAL_BUSINESS_TYPE, _COMPANY_TYPE_TEXT[kind])),
        "industry": industry.astype(np.int64),
        "food": food.astype(np.int64),
        "representative": representative.astype(np.int64),
        "district": district.astype(np.int64),
        "address": _addresses(rng, individual, district),
        "capital": np.where(individual, np.nan, capital),
        "established_day": established.astype(np.int64),
        "status": status.astype(np.int64),
        "created_day": np.full(n, created_day, dtype=np.int64),
    }


def build_enterprises(population: Population, *, seed: int, day: int = 0) -> Enterprises:
    """Enterprises of Market Regulation's members on day 0, and those registered on days 1..``day``.

    Every person assigned to Market Regulation represents one enterprise, some two.
    """
    members = np.flatnonzero(population.members[:, MARKET_REGULATION] & (population.created_day == 0))
    rng = stream(seed, "enterprises")
    adult = age_on(population.birth_day[members], base_day()) >= 18
    members = members[adult]
    counts = 1 + (rng.random(members.size) < SECOND_ENTERPRISE_SHARE)
    representatives = np.repeat(members, counts)
    taken_names: set[str] = set()
    taken_codes: set[str] = set()
    parts = [_make(rng, population, rng.permutation(representatives), 0, taken_names, taken_codes)]
    per_day = max(1, round(representatives.size * NEW_PER_DAY)) if members.size else 0
    for d in range(1, day + 1):
        if per_day:
            day_rng = stream(seed, "enterprises", d)
            reps = members[day_rng.integers(0, members.size, per_day)]
            parts.append(_make(day_rng, population, reps, d, taken_names, taken_codes))
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    n = merged["name"].size
    return Enterprises(
        enterprise_id=text_column(digits(np.arange(1, n + 1, dtype=np.int64), 9, prefix="E")),
        **merged,
    )
