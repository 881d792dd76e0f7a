"""The city's real people: registered residents, newborns, visitors, and which departments know them.

The household register (:mod:`residents`) defines the residents; this module
adds visitors (people with IDs from other provinces who have no register row
but have accidents or see doctors here) and the babies registered on later
days, and decides which departments each person deals with. Every adult
resident is known to three to five of the six departments: Public Security
plus two to four others drawn by how likely a person of that age deals with
them (a retiree draws a pension and subsidies, rarely runs a company).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from silobreak.city import vocab
from silobreak.city.arrays import (
    BoolArray,
    IntArray,
    ObjArray,
    StrArray,
    age_on,
    base_day,
    choice,
    day_window,
    digits,
    stream,
    text_column,
    ymd_of,
)
from silobreak.city.residents import Residents, _digit_codes, _names, _text
from silobreak.identifiers import RESIDENT_ID_CHECK_CHARS, RESIDENT_ID_WEIGHTS

__all__ = [
    "CIVIL_AFFAIRS",
    "HEALTH",
    "HUMAN_RESOURCES",
    "MARKET_REGULATION",
    "PUBLIC_SECURITY",
    "TRAFFIC_POLICE",
    "Households",
    "Population",
    "build_population",
    "resident_ids",
]

PUBLIC_SECURITY, HUMAN_RESOURCES, MARKET_REGULATION, TRAFFIC_POLICE, HEALTH, CIVIL_AFFAIRS = range(6)

VISITOR_SHARE = 0.05
"""Visitors per registered resident (people from other provinces met by traffic police and hospitals)."""

NEWBORN_RATE = 0.0002
"""Babies registered per day, per registered resident (several times the real rate: demo days are short)."""

ADULT_AGE = 18

#: Probability that an adult resident is known to 3, 4 or 5 departments.
DEPARTMENT_COUNT_P: tuple[float, float, float] = (0.40, 0.38, 0.22)

#: (from age, weights of HR, MR, TP, Health, Civil Affairs): how likely an adult
#: of that age deals with each department besides Public Security.
_AGE_WEIGHTS: tuple[tuple[int, tuple[float, float, float, float, float]], ...] = (
    (18, (0.50, 0.03, 0.25, 1.00, 0.15)),
    (22, (1.00, 0.30, 0.55, 0.80, 0.75)),
    (35, (0.90, 0.40, 0.60, 0.90, 0.70)),
    (60, (0.80, 0.10, 0.20, 1.00, 0.90)),
    (80, (0.70, 0.00, 0.00, 1.00, 1.00)),
)

_CHECK_CODES = np.array([ord(c) for c in RESIDENT_ID_CHECK_CHARS], dtype="<u4")
_WEIGHTS = np.asarray(RESIDENT_ID_WEIGHTS, dtype=np.int64)


def resident_ids(region: IntArray, ymd: IntArray, seq: IntArray) -> StrArray:
    """18-character IDs (GB 11643) from division codes, yyyymmdd births and 3-digit sequences."""
    codes = _digit_codes(region * 10**11 + ymd * 1000 + seq, 17)
    check = ((codes.astype(np.int64) - ord("0")) @ _WEIGHTS) % 11
    return _text(np.hstack([codes, _CHECK_CODES[check][:, None]]))


def _mobiles(rng: np.random.Generator, n: int) -> IntArray:
    prefixes = np.array([int(p) for p, _ in vocab.MOBILE_PREFIXES], dtype=np.int64)
    prefix = prefixes[choice(rng, prefixes.size, n, [w for _, w in vocab.MOBILE_PREFIXES])]
    out: IntArray = prefix * 10**8 + rng.integers(0, 10**8, n)
    return out


@dataclass(frozen=True, eq=False)
class Households:
    """Household-level arrays of the register (index = household number in :class:`People`)."""

    number: ObjArray
    division: ObjArray
    address: ObjArray
    district: IntArray
    head: IntArray


@dataclass(frozen=True, eq=False)
class Population:
    """Every real person of the city, one index each: residents, then visitors, then newborns.

    The ``*_text`` arrays hold each value once as a Python string; tables
    index into them, so a name shared by five tables is one object.
    """

    person_id: ObjArray
    name: StrArray
    name_text: ObjArray
    male: BoolArray
    birth_day: IntArray
    id_text: ObjArray
    region: IntArray
    phone: IntArray
    phone_text: ObjArray
    resident: BoolArray
    household: IntArray
    created_day: IntArray
    members: BoolArray
    """(persons, 6) departments each person is assigned to on day 0, in :data:`model.DEPARTMENTS` order."""
    households: Households

    @property
    def size(self) -> int:
        return int(self.person_id.size)

    def age(self, day: int = 0) -> IntArray:
        """Age in whole years on ``day`` of the city."""
        return self._age_on_day_0 if day == 0 else age_on(self.birth_day, base_day() + day)

    @cached_property
    def _age_on_day_0(self) -> IntArray:
        return age_on(self.birth_day, base_day())


def _person_ids(prefix: str, first: int, n: int) -> ObjArray:
    return text_column(digits(np.arange(first, first + n, dtype=np.int64), 9, prefix=prefix))


def _visitors(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """People with IDs from other provinces (never Guangdong), mostly adults on a trip or working here."""
    male = rng.random(n) < 0.55
    adult = rng.random(n) < 0.92
    age = np.where(adult, rng.integers(ADULT_AGE, 71, n), rng.integers(0, ADULT_AGE, n))
    days_back = np.maximum(np.floor((age + rng.random(n)) * 365.2425).astype(np.int64), 1)
    birth_day = base_day() - days_back
    name, _ = _names(rng, male, age, np.arange(n, dtype=np.int64))
    provinces = [(int(c), w) for c, w in vocab.OTHER_PROVINCE_DIVISIONS if not c.startswith("44")]
    region = np.array([c for c, _ in provinces], dtype=np.int64)[
        choice(rng, len(provinces), n, [w for _, w in provinces])
    ]
    seq = rng.integers(0, 100, n) * 10 + rng.integers(0, 5, n) * 2 + male
    return {
        "name": name,
        "male": male,
        "birth_day": birth_day,
        "id": resident_ids(region, ymd_of(birth_day), seq),
        "region": region,
        "phone": _mobiles(rng, n),
        "has_phone": rng.random(n) < 0.97,
    }


def _newborns(rng: np.random.Generator, residents: Residents, n: int, day: int) -> dict[str, np.ndarray]:
    """Babies registered into existing households on ``day``, mostly with the head's surname."""
    people = residents.people
    assert people is not None
    n_households = people.household_no.size
    household = rng.integers(0, n_households, n)
    head_of = np.zeros(n_households, dtype=np.int64)
    head_of[people.household] = people.household_head
    head = head_of[household]
    male = rng.random(n) < 0.51
    start, _ = day_window(day)
    birth_day = (start + 8 * 3600) // 86400 - rng.integers(0, 30, n)
    given, given_surname_len = _names(rng, male, np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64))
    inherit = rng.random(n) < 0.85
    names = [
        str(people.name[h])[: int(people.surname_len[h])] + str(g)[int(sl) :] if keep else str(g)
        for h, g, sl, keep in zip(head, given, given_surname_len, inherit, strict=True)
    ]
    region = people.household_division[household].astype(np.int64)
    seq = rng.integers(0, 100, n) * 10 + rng.integers(0, 5, n) * 2 + male
    return {
        "name": np.array(names, dtype="<U4"),
        "male": male,
        "birth_day": birth_day,
        "id": resident_ids(region, ymd_of(birth_day), seq),
        "region": region,
        "phone": people.phone[head],
        "has_phone": ~people.phone_missing[head] & (rng.random(n) < 0.6),
        "household": household,
    }


def _memberships(rng: np.random.Generator, age: IntArray, resident: BoolArray) -> BoolArray:
    """Which of the six departments each person deals with (see the module docstring)."""
    n = age.size
    members = np.zeros((n, 6), dtype=np.bool_)
    members[:, PUBLIC_SECURITY] = resident
    adult = resident & (age >= ADULT_AGE)
    weights = np.zeros((n, 5))
    for start, row in _AGE_WEIGHTS:
        weights[age >= start] = row
    # Gumbel top-k: the k largest of log(weight) + Gumbel noise are a weighted draw without replacement.
    with np.errstate(divide="ignore"):
        keys = np.log(weights) - np.log(-np.log(rng.random((n, 5))))
    others = rng.choice(3, size=n, p=DEPARTMENT_COUNT_P) + 2
    others = np.minimum(others, (weights > 0).sum(axis=1))
    rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
    chosen = (rank < others[:, None]) & adult[:, None]
    members[:, 1:] |= chosen

    minor = resident & (age < ADULT_AGE)
    members[:, HEALTH] |= minor & (rng.random(n) < 0.95)
    members[:, CIVIL_AFFAIRS] |= minor & (rng.random(n) < 0.01)

    visitor = ~resident
    grown = visitor & (age >= ADULT_AGE)
    members[:, TRAFFIC_POLICE] |= grown & (rng.random(n) < 0.55)
    members[:, HEALTH] |= visitor & (rng.random(n) < 0.55)
    members[:, HUMAN_RESOURCES] |= grown & (age >= 22) & (age <= 40) & (rng.random(n) < 0.12)
    nowhere = visitor & ~members.any(axis=1)
    members[:, HEALTH] |= nowhere
    return members


def build_population(residents: Residents, *, scale: int, seed: int, day: int = 0) -> Population:
    """The residents behind the register, visitors, and the babies registered on days 1..``day``."""
    people = residents.people
    if people is None:
        raise ValueError("the residents were generated without their people")
    n_people = people.name.size
    n_visitors = round(scale * VISITOR_SHARE)
    visitors = _visitors(stream(seed, "visitors"), n_visitors)
    newborns = [
        _newborns(stream(seed, "newborns", d), residents, max(1, round(n_people * NEWBORN_RATE)), d)
        for d in range(1, day + 1)
        if n_people
    ]
    n_newborns = sum(b["name"].size for b in newborns)

    resident_region = np.zeros(0, dtype=np.int64)
    if n_people:
        codes = np.ascontiguousarray(people.id_card_no).view("<u4").reshape(n_people, 18)[:, :6]
        resident_region = (codes.astype(np.int64) - ord("0")) @ (10 ** np.arange(5, -1, -1, dtype=np.int64))

    def cat(resident_part: np.ndarray, key: str) -> np.ndarray:
        return np.concatenate([resident_part, visitors[key], *(b[key] for b in newborns)])

    name = cat(people.name, "name").astype("<U4")
    male = cat(people.male, "male")
    birth_day = cat(people.birth.astype(np.int64), "birth_day").astype(np.int64)
    ids = cat(people.id_card_no, "id")
    region = cat(resident_region, "region").astype(np.int64)
    phone = cat(people.phone, "phone").astype(np.int64)
    has_phone = cat(~people.phone_missing, "has_phone").astype(np.bool_)
    resident = np.concatenate(
        [np.ones(n_people, np.bool_), np.zeros(n_visitors, np.bool_), np.ones(n_newborns, np.bool_)]
    )
    household = np.concatenate(
        [people.household, np.full(n_visitors, -1, np.int64), *(b["household"] for b in newborns)]
    ).astype(np.int64)
    created_day = np.concatenate(
        [np.zeros(n_people + n_visitors, np.int64), *(np.full(b["name"].size, d + 1) for d, b in enumerate(newborns))]
    ).astype(np.int64)
    person_id = np.concatenate(
        [_person_ids("P", 1, n_people), _person_ids("V", 1, n_visitors), _person_ids("P", n_people + 1, n_newborns)]
    )

    # Departments are assigned on day 0; a baby registered later is known to Public Security.
    n_base = n_people + n_visitors
    members = np.zeros((name.size, 6), dtype=np.bool_)
    members[:n_base] = _memberships(
        stream(seed, "memberships"), age_on(birth_day[:n_base], base_day()), resident[:n_base]
    )
    members[n_base:, PUBLIC_SECURITY] = True

    head_of = np.zeros(people.household_no.size, dtype=np.int64)
    head_of[people.household] = people.household_head
    households = Households(
        number=text_column(people.household_no),
        division=text_column(people.household_division),
        address=text_column(people.household_address),
        district=people.household_district.astype(np.int64),
        head=head_of,
    )
    return Population(
        person_id=person_id,
        name=name,
        name_text=text_column(name),
        male=male,
        birth_day=birth_day,
        id_text=text_column(ids),
        region=region,
        phone=phone,
        phone_text=text_column(digits(phone, 11), ~has_phone),
        resident=resident,
        household=household,
        created_day=created_day,
        members=members,
        households=households,
    )
