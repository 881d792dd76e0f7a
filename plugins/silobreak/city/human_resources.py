"""Human Resources & Social Security: social insurance and graduate talent settlement applications.

Everyone assigned to the department has social insurance: a contribution
record with their current employer (some also a finished one with an earlier
employer), or a pension record once retired. Graduates born elsewhere moved
their registration here through the talent settlement programme (人才引进落户),
so residents with a non-Shenzhen ID of working age have approved
applications, and visitors working here have pending ones. The employer on an
application is the one paying the applicant's social insurance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city import lexicon
from silobreak.city.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    ObjArray,
    base_day,
    choice,
    date_objects,
    digits,
    event_times,
    iso_months,
    text_column,
    window_times,
)
from silobreak.city.population import HUMAN_RESOURCES, _mobiles
from silobreak.city.tables import Batch, TableModel, TableSpec
from silobreak.city.world import World

__all__ = ["SETTLEMENT_APPLICATIONS", "SOCIAL_INSURANCE", "SettlementApplications", "SocialInsurance"]

SETTLEMENT_APPLICATIONS = TableSpec(
    department="human_resources",
    entity="settlement_applications",
    key="application_no",
    delivery="postgres",
    columns=(
        ("application_no", "text"),
        ("applicant_name", "text"),
        ("id_card_no", "text"),
        ("phone", "text"),
        ("degree", "text"),
        ("university", "text"),
        ("major", "text"),
        ("employer_name", "text"),
        ("employer_credit_code", "text"),
        ("application_date", "date"),
        ("status", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("person_id", "employer_enterprise_id"),
    defects={
        "bad_check_digit": ("id_card_no", "employer_credit_code"),
        "impossible_date": ("id_card_no",),
        "missing_required": ("applicant_name", "id_card_no", "degree"),
        "out_of_domain": ("degree", "status"),
        "duplicate": (),
    },
    variations=(
        ("homophone_name", "applicant_name", 0.01),
        ("traditional_chars", "applicant_name", 0.005),
        ("fullwidth_digits", "id_card_no", 0.01),
        ("lowercase_x", "id_card_no", 0.01),
        ("stray_space", "id_card_no", 0.01),
        ("phone_format", "phone", 0.03),
        ("short_name", "employer_name", 0.03),
        ("lowercase", "employer_credit_code", 0.005),
    ),
    value_kinds={"id_card_no": "resident_id", "employer_credit_code": "credit_code"},
    domains={"degree": tuple(d for d, _ in lexicon.DEGREES), "status": lexicon.SETTLEMENT_STATUSES},
    bogus={"degree": lexicon.BOGUS_DEGREES, "status": lexicon.BOGUS_SETTLEMENT_STATUSES},
)

SOCIAL_INSURANCE = TableSpec(
    department="human_resources",
    entity="social_insurance",
    key="record_no",
    delivery="postgres",
    columns=(
        ("record_no", "text"),
        ("id_card_no", "text"),
        ("name", "text"),
        ("employer_credit_code", "text"),
        ("employer_name", "text"),
        ("start_month", "text"),
        ("monthly_base", "numeric"),
        ("status", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("person_id", "employer_enterprise_id"),
    defects={
        "bad_check_digit": ("id_card_no", "employer_credit_code"),
        "impossible_date": ("start_month",),
        "missing_required": ("id_card_no", "name"),
        "out_of_domain": ("status",),
        "duplicate": (),
    },
    variations=(
        ("old_15_digit_id", "id_card_no", 0.02),
        ("homophone_name", "name", 0.01),
        ("similar_char_name", "name", 0.01),
        ("date_format", "start_month", 0.03),
        ("short_name", "employer_name", 0.03),
        ("stray_space", "id_card_no", 0.01),
    ),
    value_kinds={"id_card_no": "resident_id", "employer_credit_code": "credit_code", "start_month": "month"},
    domains={"status": lexicon.SOCIAL_INSURANCE_STATUSES},
    bogus={"status": lexicon.BOGUS_SOCIAL_INSURANCE_STATUSES},
)

PAST_EMPLOYMENT_SHARE = 0.2
MIN_BASE, MAX_BASE = 2360.0, 41190.0  # Shenzhen's contribution base limits, yuan per month
_SHENZHEN = 440300
_RECORDS_SINCE = int(np.datetime64("1995-01-01", "D").astype(np.int64))
"""Shenzhen's social insurance system holds records from its unification in the mid-1990s."""


@dataclass(frozen=True, eq=False)
class Employment:
    """Who works where: one entry per member of the department (same for both tables)."""

    person: IntArray
    retired: BoolArray
    employer: IntArray
    """Enterprise index of the current employer, -1 for retirees (or a city without companies)."""
    start_day: IntArray
    base: FloatArray


def _employers(world: World, rng: np.random.Generator, n: int, day: int = 0) -> IntArray:
    """Employers drawn with a heavy tail (a few companies employ thousands), among companies in business."""
    enterprises = world.enterprises
    companies = np.flatnonzero(~enterprises.individual & (enterprises.status == 0) & enterprises.existing(day))
    if companies.size == 0:
        return np.full(n, -1, dtype=np.int64)
    size_rank = world.rng("employer_sizes").permutation(companies.size)
    weights = 1.0 / (size_rank + 5.0) ** 1.1
    return companies[choice(rng, companies.size, n, weights)]


def employment(world: World) -> Employment:
    """The department's members and their jobs on day 0."""
    return world.memo("employment", _employment)


def _employment(world: World) -> Employment:
    rng = world.rng("employment")
    population = world.population
    person = world.members(HUMAN_RESOURCES)
    age = population.age()[person]
    male = population.male[person]
    retired = population.resident[person] & np.where(male, age >= 60, age >= 55) & (rng.random(person.size) < 0.9)
    employer = np.where(retired, -1, _employers(world, rng, person.size))
    established = world.enterprises.established_day[np.maximum(employer, 0)] if world.enterprises.size else 0
    adult_from = population.birth_day[person] + 18 * 366
    earliest = np.maximum(np.maximum(np.where(employer >= 0, established, 0), adult_from), _RECORDS_SINCE)
    span = np.maximum(base_day() - 1 - earliest, 1)
    start_day = earliest + np.floor(rng.random(person.size) ** 0.7 * span).astype(np.int64)
    # A pension record starts at retirement: 60 for men, 55 for women.
    retirement = population.birth_day[person] + np.where(male, 60, 55) * 365 + rng.integers(10, 120, person.size)
    start_day = np.where(retired, np.maximum(retirement, _RECORDS_SINCE), start_day)
    base = np.round(np.exp(rng.normal(np.log(7500.0), 0.55, person.size))).clip(MIN_BASE, MAX_BASE)
    return Employment(person, retired, employer, np.minimum(start_day, base_day() - 1), base)


def _person_columns(world: World, person: IntArray) -> dict[str, ObjArray]:
    population = world.population
    return {
        "name": population.name_text[person],
        "id": population.id_text[person],
        "phone": population.phone_text[person],
    }


def _employer_columns(world: World, employer: IntArray) -> tuple[ObjArray, ObjArray]:
    enterprises = world.enterprises
    known = employer >= 0
    name = np.full(employer.size, None, dtype=object)
    code = np.full(employer.size, None, dtype=object)
    if enterprises.size:
        name[known] = enterprises.name[employer[known]]
        code[known] = enterprises.credit_code[employer[known]]
    return name, code


def _serial_keys(prefix: str, serial: IntArray, width: int) -> ObjArray:
    return text_column(digits(serial, width, prefix=prefix))


class SocialInsurance(TableModel):
    spec = SOCIAL_INSURANCE

    def _rows(
        self,
        world: World,
        rng: np.random.Generator,
        person: IntArray,
        employer: IntArray,
        start_day: IntArray,
        base: FloatArray,
        status: ObjArray,
    ) -> dict[str, np.ndarray]:
        name, code = _employer_columns(world, employer)
        people = _person_columns(world, person)
        return {
            "id_card_no": people["id"],
            "name": people["name"],
            "employer_credit_code": code,
            "employer_name": name,
            "start_month": iso_months(start_day),
            "monthly_base": np.where(status == "退休", np.nan, base),
            "status": status,
        }

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        jobs = employment(world)
        n = jobs.person.size
        working = np.array(["参保缴费", "暂停缴费", "终止缴费"], dtype=object)
        status = np.where(jobs.retired, "退休", working[choice(rng, 3, n, [0.88, 0.07, 0.05])]).astype(object)
        # Some also have a finished record with an earlier employer.
        past = np.flatnonzero(~jobs.retired & (rng.random(n) < PAST_EMPLOYMENT_SHARE))
        past_employer = _employers(world, rng, past.size)
        adult_from = np.maximum(world.population.birth_day[jobs.person[past]] + 18 * 366, _RECORDS_SINCE)
        past_start = adult_from + np.floor(rng.random(past.size) * np.maximum(jobs.start_day[past] - adult_from, 1))
        person = np.concatenate([jobs.person, jobs.person[past]])
        employer = np.concatenate([jobs.employer, past_employer])
        start_day = np.concatenate([jobs.start_day, past_start.astype(np.int64)])
        base = np.concatenate([jobs.base, np.round(jobs.base[past] * 0.8)])
        status = np.concatenate([status, np.full(past.size, "终止缴费", dtype=object)])
        created, updated = event_times(rng, start_day, touched=0.5)
        return Batch(
            columns=self._rows(world, rng, person, employer, start_day, base, status),
            refs={"person_id": person, "employer_enterprise_id": employer},
            created=created,
            updated=updated,
        )

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        """New jobs of members of working age."""
        jobs = employment(world)
        candidates = jobs.person[~jobs.retired]
        person = candidates[rng.integers(0, candidates.size, count)] if candidates.size else candidates
        created, updated = window_times(rng, day, person.size)
        start_day = np.full(person.size, base_day() + day - 1, dtype=np.int64)
        base = np.round(np.exp(rng.normal(np.log(7500.0), 0.55, person.size))).clip(MIN_BASE, MAX_BASE)
        employer = _employers(world, rng, person.size, day)
        status = np.full(person.size, "参保缴费", dtype=object)
        return Batch(
            columns=self._rows(world, rng, person, employer, start_day, base, status),
            refs={"person_id": person, "employer_enterprise_id": employer},
            created=created,
            updated=updated,
        )

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Contributions paused, resumed or stopped, or the yearly base adjusted."""
        status = rows["status"].to_numpy(dtype=object, copy=True)
        paying = status == "参保缴费"
        stop = paying & (rng.random(status.size) < 0.5)
        status[stop] = np.where(rng.random(int(stop.sum())) < 0.6, "暂停缴费", "终止缴费")
        status[status == "暂停缴费"] = "参保缴费"
        base = rows["monthly_base"].to_numpy(dtype=np.float64, copy=True)
        adjust = paying & ~stop
        base[adjust] = np.round(base[adjust] * rng.uniform(1.02, 1.08, int(adjust.sum()))).clip(MIN_BASE, MAX_BASE)
        return {"status": status, "monthly_base": base}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        return _serial_keys("SI", serial, 12)


class SettlementApplications(TableModel):
    spec = SETTLEMENT_APPLICATIONS

    def _rows(
        self, world: World, rng: np.random.Generator, person: IntArray, employer: IntArray, day: IntArray, status: Any
    ) -> dict[str, np.ndarray]:
        n = person.size
        age = world.population.age()[person]
        degree = choice(rng, len(lexicon.DEGREES), n, [w for _, w in lexicon.DEGREES])
        degree = np.where((age < 27) & (degree == 2), 1, degree)  # no doctors at 23
        name, code = _employer_columns(world, employer)
        people = _person_columns(world, person)
        return {
            "applicant_name": people["name"],
            "id_card_no": people["id"],
            "phone": people["phone"],
            "degree": np.array([d for d, _ in lexicon.DEGREES], dtype=object)[degree],
            "university": np.array([u for u, _ in lexicon.UNIVERSITIES], dtype=object)[
                choice(rng, len(lexicon.UNIVERSITIES), n, [w for _, w in lexicon.UNIVERSITIES])
            ],
            "major": np.array([m for m, _ in lexicon.MAJORS], dtype=object)[
                choice(rng, len(lexicon.MAJORS), n, [w for _, w in lexicon.MAJORS])
            ],
            "employer_name": name,
            "employer_credit_code": code,
            "application_date": date_objects(day),
            "status": np.asarray(status, dtype=object),
        }

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        jobs = employment(world)
        population = world.population
        age = population.age()[jobs.person]
        born_here = population.region[jobs.person] // 100 == _SHENZHEN // 100
        resident = population.resident[jobs.person]
        # Residents born elsewhere who came as graduates: approved long ago (their register row proves it).
        settled = resident & ~born_here & ~jobs.retired & (age >= 23) & (age <= 50) & (rng.random(age.size) < 0.7)
        # Visitors working here: applications still open, or turned down.
        pending = ~resident & ~jobs.retired
        chosen = np.flatnonzero(settled | pending)
        person = jobs.person[chosen]
        birth = population.birth_day[person]
        earliest = np.maximum(birth + 22 * 366, int(np.datetime64("2012-01-01", "D").astype(np.int64)))
        latest = np.where(settled[chosen], base_day() - 30, base_day() - 1)
        earliest = np.where(settled[chosen], earliest, base_day() - 120)
        day = earliest + np.floor(rng.random(chosen.size) * np.maximum(latest - earliest, 1)).astype(np.int64)
        open_status = np.array(lexicon.SETTLEMENT_STATUSES, dtype=object)[
            choice(rng, 5, chosen.size, [0.3, 0.45, 0.0, 0.15, 0.1])
        ]
        closed_status = np.where(rng.random(chosen.size) < 0.95, "已批准", "已撤回")
        status = np.where(settled[chosen], closed_status, open_status)
        employer = jobs.employer[chosen]
        created, updated = event_times(rng, day, touched=0.8)
        return Batch(
            columns=self._rows(world, rng, person, employer, day, status),
            refs={"person_id": person, "employer_enterprise_id": employer},
            created=created,
            updated=updated,
        )

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        """New applications from members of working age."""
        jobs = employment(world)
        age = world.population.age()[jobs.person]
        candidates = np.flatnonzero(~jobs.retired & (age >= 22) & (age <= 45))
        chosen = candidates[rng.integers(0, candidates.size, count)] if candidates.size else candidates
        created, updated = window_times(rng, day, chosen.size)
        application_day = np.full(chosen.size, base_day() + day - 1, dtype=np.int64)
        return Batch(
            columns=self._rows(
                world, rng, jobs.person[chosen], jobs.employer[chosen], application_day, ["已受理"] * chosen.size
            ),
            refs={"person_id": jobs.person[chosen], "employer_enterprise_id": jobs.employer[chosen]},
            created=created,
            updated=updated,
        )

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Applications move on: received, under review, then approved or refused; others get a new phone."""
        status = rows["status"].to_numpy(dtype=object, copy=True)
        received, reviewing = status == "已受理", status == "审核中"
        status[reviewing] = np.where(rng.random(int(reviewing.sum())) < 0.8, "已批准", "不予批准")
        status[received] = "审核中"
        phone = rows["phone"].to_numpy(dtype=object, copy=True)
        settled = ~(received | reviewing)
        phone[settled] = new_mobiles(rng, int(settled.sum()))
        return {"status": status, "phone": phone}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        return _serial_keys("RC", serial, 10)


def new_mobiles(rng: np.random.Generator, n: int) -> ObjArray:
    """Mobile numbers for records that change them."""
    return text_column(digits(_mobiles(rng, n), 11))
