"""Civil Affairs: marriage registrations and elderly and hardship subsidies.

Members of the department of marrying age are paired (a man with a woman of
about his age, as the registry has it); each couple has a registration in
the district of the husband's household. Members left unpaired, and
everyone over 80, receive a subsidy: the old-age allowance (高龄津贴) from
80, minimum-living or hardship support otherwise, the orphan allowance for
children. Old registrations were keyed with first-generation 15-digit IDs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city import lexicon, vocab
from silobreak.city.arrays import (
    IntArray,
    ObjArray,
    base_day,
    choice,
    date_objects,
    digits,
    event_times,
    iso_dates,
    text_column,
    window_times,
    ymd_of,
)
from silobreak.city.population import CIVIL_AFFAIRS
from silobreak.city.tables import Batch, TableModel, TableSpec
from silobreak.city.world import World

__all__ = ["MARRIAGES", "SUBSIDIES", "Marriages", "Subsidies", "couples"]

_DISTRICT_CODES = tuple(d.code for d in vocab.DISTRICTS)

MARRIAGES = TableSpec(
    department="civil_affairs",
    entity="marriages",
    key="registration_no",
    delivery="postgres",
    columns=(
        ("registration_no", "text"),
        ("husband_name", "text"),
        ("husband_id_card_no", "text"),
        ("wife_name", "text"),
        ("wife_id_card_no", "text"),
        ("registration_date", "date"),
        ("district", "text"),
        ("registration_office", "text"),
        ("status", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("husband_person_id", "wife_person_id"),
    defects={
        "bad_check_digit": ("husband_id_card_no", "wife_id_card_no"),
        "impossible_date": ("husband_id_card_no", "wife_id_card_no"),
        "missing_required": ("husband_name", "wife_name"),
        "out_of_domain": ("district",),
        "duplicate": (),
    },
    variations=(
        ("old_15_digit_id", "husband_id_card_no", 0.02),
        ("old_15_digit_id", "wife_id_card_no", 0.02),
        ("traditional_chars", "husband_name", 0.01),
        ("traditional_chars", "wife_name", 0.01),
        ("homophone_name", "husband_name", 0.01),
        ("homophone_name", "wife_name", 0.01),
        ("lowercase_x", "husband_id_card_no", 0.005),
        ("lowercase_x", "wife_id_card_no", 0.005),
    ),
    value_kinds={"husband_id_card_no": "resident_id", "wife_id_card_no": "resident_id"},
    domains={"district": _DISTRICT_CODES, "status": lexicon.MARRIAGE_STATUSES},
    bogus={"district": lexicon.BOGUS_DISTRICT_CODES},
    insert_rate=0.002,
    update_rate=0.002,
    delete_rate=0.0005,
)

SUBSIDIES = TableSpec(
    department="civil_affairs",
    entity="subsidies",
    key="subsidy_no",
    delivery="postgres",
    columns=(
        ("subsidy_no", "text"),
        ("id_card_no", "text"),
        ("name", "text"),
        ("subsidy_type", "text"),
        ("monthly_amount", "numeric"),
        ("start_date", "text"),
        ("address", "text"),
        ("district", "text"),
        ("status", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("person_id",),
    defects={
        "bad_check_digit": ("id_card_no",),
        "impossible_date": ("start_date",),
        "missing_required": ("id_card_no", "name"),
        "out_of_domain": ("subsidy_type",),
        "duplicate": (),
    },
    variations=(
        ("address_format", "address", 0.05),
        ("date_format", "start_date", 0.04),
        ("homophone_name", "name", 0.02),
        ("similar_char_name", "name", 0.01),
        ("traditional_chars", "name", 0.01),
        ("old_15_digit_id", "id_card_no", 0.02),
        ("stray_space", "id_card_no", 0.01),
    ),
    value_kinds={"id_card_no": "resident_id", "start_date": "date"},
    domains={
        "subsidy_type": tuple(t for t, _, _ in lexicon.SUBSIDY_TYPES),
        "district": _DISTRICT_CODES,
        "status": tuple(s for s, _ in lexicon.SUBSIDY_STATUSES),
    },
    bogus={"subsidy_type": lexicon.BOGUS_SUBSIDY_TYPES},
    insert_rate=0.003,
    update_rate=0.004,
    delete_rate=0.0005,
)

_OFFICES = np.array([f"深圳市{d.name}民政局婚姻登记处" for d in vocab.DISTRICTS], dtype=object)
_DISTRICT_TEXT = np.array(_DISTRICT_CODES, dtype=object)
_TYPE_TEXT = np.array([t for t, _, _ in lexicon.SUBSIDY_TYPES], dtype=object)
_TYPE_AMOUNT = np.array([a for _, a, _ in lexicon.SUBSIDY_TYPES], dtype=np.float64)
_STATUS_TEXT = np.array([s for s, _ in lexicon.SUBSIDY_STATUSES], dtype=object)
_OLD_AGE, _ORPHAN = 0, 5
_ADULT_TYPES = (1, 2, 3, 4)
_ADULT_TYPE_P = (0.45, 0.1, 0.3, 0.15)
_YEAR = 365
MARRIED_SHARE = 0.75
"""Share of the department's members of marrying age with a marriage registration here."""


@dataclass(frozen=True, eq=False)
class Couples:
    """Married pairs of the department's members on day 0, and the members left single."""

    husband: IntArray
    wife: IntArray
    single: IntArray


def couples(world: World) -> Couples:
    """Pair men and women of marriageable age by age (husbands a little older)."""
    return world.memo("couples", _couples)


def _couples(world: World) -> Couples:
    rng = world.rng("couples")
    population = world.population
    member = world.members(CIVIL_AFFAIRS)
    age = population.age()[member]
    male = population.male[member]
    wed = rng.random(member.size) < MARRIED_SHARE
    men = member[wed & male & (age >= 22)]
    women = member[wed & ~male & (age >= 20)]
    men = men[np.argsort(population.birth_day[men] + 730 + rng.normal(0, 900, men.size), kind="stable")]
    women = women[np.argsort(population.birth_day[women] + rng.normal(0, 900, women.size), kind="stable")]
    pairs = min(men.size, women.size)
    married = np.zeros(population.size, dtype=np.bool_)
    married[men[:pairs]] = True
    married[women[:pairs]] = True
    single = member[~married[member]]
    return Couples(men[:pairs], women[:pairs], single)


def _registration_day(world: World, rng: np.random.Generator, husband: IntArray, wife: IntArray) -> IntArray:
    birth = world.population.birth_day
    legal = np.maximum(birth[husband] + 22 * _YEAR + 6, birth[wife] + 20 * _YEAR + 5)
    legal = np.maximum(legal, int(np.datetime64("1980-01-01", "D").astype(np.int64)))
    out: IntArray = np.minimum(
        legal + np.floor(rng.exponential(4 * _YEAR, husband.size)).astype(np.int64), base_day() - 1
    )
    return out


class Marriages(TableModel):
    spec = MARRIAGES

    def _batch(
        self, world: World, rng: np.random.Generator, husband: IntArray, wife: IntArray, day_of: IntArray, day: int
    ) -> Batch:
        population = world.population
        district = population.households.district[np.maximum(population.household[husband], 0)]
        status = np.where((rng.random(husband.size) < 0.08) & (day == 0), "已离婚", "有效").astype(object)
        created, updated = event_times(rng, day_of, touched=0.1) if day == 0 else window_times(rng, day, husband.size)
        return Batch(
            columns={
                "husband_name": population.name_text[husband],
                "husband_id_card_no": population.id_text[husband],
                "wife_name": population.name_text[wife],
                "wife_id_card_no": population.id_text[wife],
                "registration_date": date_objects(day_of),
                "district": _DISTRICT_TEXT[district],
                "registration_office": _OFFICES[district],
                "status": status,
                "_district": district,
                "_day": day_of,
            },
            refs={"husband_person_id": husband, "wife_person_id": wife},
            created=created,
            updated=updated,
        )

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        pairs = couples(world)
        return self._batch(
            world, rng, pairs.husband, pairs.wife, _registration_day(world, rng, pairs.husband, pairs.wife), 0
        )

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        """Members still single marry each other (each at most once over the days)."""
        single = couples(world).single
        population = world.population
        pool = world.rng("weddings").permutation(single)
        male = population.male[pool]
        age = population.age()[pool]
        ok = np.where(male, age >= 22, age >= 20)
        men, women = pool[male & ok], pool[~male & ok]
        pairs = min(men.size, women.size)
        per_day = max(1, round(pairs * 0.02)) if pairs else 0  # fixed, so days never reuse a couple
        lo, hi = min((day - 1) * per_day, pairs), min(day * per_day, pairs)
        today = np.full(hi - lo, base_day() + day - 1, dtype=np.int64)
        return self._batch(world, rng, men[lo:hi], women[lo:hi], today, day)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Divorces registered."""
        return {"status": np.full(len(rows), "已离婚", dtype=object)}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        """J, the district, the year and a serial: J440305-2019-001234."""
        if not len(batch):
            return np.zeros(0, dtype=object)
        district = digits(np.array([int(c) for c in _DISTRICT_CODES], dtype=np.int64)[batch.columns["_district"]], 6)
        year = digits(ymd_of(batch.columns["_day"]) // 10000, 4)
        width = max(6, len(str(int(serial.max()))))
        head = np.strings.add(np.strings.add("J", district), np.strings.add("-", year))
        return text_column(np.strings.add(np.strings.add(head, "-"), digits(serial, width)))


class Subsidies(TableModel):
    spec = SUBSIDIES

    def _batch(
        self, world: World, rng: np.random.Generator, person: IntArray, kind: IntArray, start: IntArray, day: int
    ) -> Batch:
        population = world.population
        age = population.age()[person]
        household = np.maximum(population.household[person], 0)
        amount = _TYPE_AMOUNT[kind]
        amount = np.where((kind == _OLD_AGE) & (age >= 90), 300.0, amount)
        amount = np.where((kind == _OLD_AGE) & (age >= 100), 500.0, amount)
        status = _STATUS_TEXT[choice(rng, _STATUS_TEXT.size, person.size, [p for _, p in lexicon.SUBSIDY_STATUSES])]
        if day:
            status[:] = "发放中"
        created, updated = event_times(rng, start, touched=0.3) if day == 0 else window_times(rng, day, person.size)
        return Batch(
            columns={
                "id_card_no": population.id_text[person],
                "name": population.name_text[person],
                "subsidy_type": _TYPE_TEXT[kind],
                "monthly_amount": amount,
                "start_date": iso_dates(start),
                "address": population.households.address[household],
                "district": population.households.division[household],
                "status": status,
            },
            refs={"person_id": person},
            created=created,
            updated=updated,
        )

    def _kinds(self, world: World, rng: np.random.Generator, person: IntArray) -> IntArray:
        age = world.population.age()[person]
        adult = np.array(_ADULT_TYPES)[choice(rng, len(_ADULT_TYPES), person.size, _ADULT_TYPE_P)]
        out: IntArray = np.where(age >= 80, _OLD_AGE, np.where(age < 18, _ORPHAN, adult))
        return out

    def _start(self, world: World, rng: np.random.Generator, person: IntArray, kind: IntArray) -> IntArray:
        birth = world.population.birth_day[person]
        eightieth = birth + 80 * _YEAR + 20 + rng.integers(0, 90, person.size)
        since = np.maximum(birth, base_day() - 5 * _YEAR)
        recent = since + np.floor(rng.random(person.size) * (base_day() - since)).astype(np.int64)
        out: IntArray = np.minimum(np.where(kind == _OLD_AGE, eightieth, recent), base_day() - 1)
        return out

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        pairs = couples(world)
        married_old = np.concatenate([pairs.husband, pairs.wife])
        married_old = married_old[world.population.age()[married_old] >= 80]
        person = np.sort(np.concatenate([pairs.single, married_old]))
        kind = self._kinds(world, rng, person)
        return self._batch(world, rng, person, kind, self._start(world, rng, person, kind), 0)

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        """New hardship cases among the department's members."""
        members = world.members(CIVIL_AFFAIRS)
        person = members[rng.integers(0, members.size, count)] if members.size else members
        kind = self._kinds(world, rng, person)
        return self._batch(world, rng, person, kind, np.full(person.size, base_day() + day - 1, dtype=np.int64), day)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Payments suspended or resumed, or the amount adjusted to a new standard."""
        status = rows["status"].to_numpy(dtype=object, copy=True)
        amount = rows["monthly_amount"].to_numpy(dtype=np.float64, copy=True)
        paying = status == "发放中"
        stop = paying & (rng.random(status.size) < 0.4)
        status[stop] = "暂停发放"
        status[~paying] = "发放中"
        adjust = paying & ~stop
        amount[adjust] = np.round(amount[adjust] * 1.05 / 10) * 10
        return {"status": status, "monthly_amount": amount}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        return text_column(digits(serial, 10, prefix="BZ"))
