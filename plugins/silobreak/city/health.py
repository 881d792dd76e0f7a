"""Health Commission: vaccinations and clinic visits (sensitive personal information).

Clinics identify patients by name, phone and birth date; the ID number is
often not asked for, or only its ends are kept. Vaccinations come from the
immunisation system as a CSV export in GBK without a byte-order mark (from
day 2 its ``phone`` column is called ``mobile_phone``); clinic visits come as
JSON Lines. Children get their schedule of vaccines, adults flu or HPV shots;
visitors from other provinces see doctors too.

Health data is sensitive personal information (PIPL art. 28): these tables
only ever reach the pipeline through the inbox, and must be graded L4.
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
    digits,
    event_times,
    iso_dates,
    text_column,
    window_times,
)
from silobreak.city.population import HEALTH
from silobreak.city.tables import Batch, TableModel, TableSpec
from silobreak.city.world import World

__all__ = ["CLINIC_VISITS", "DRIFT_DAY", "VACCINATIONS", "ClinicVisits", "Vaccinations"]

DRIFT_DAY = 2
"""From this day on, the vaccination export calls ``phone`` ``mobile_phone``."""

_PATIENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("patient_name", "text"),
    ("gender", "text"),
    ("birth_date", "text"),
    ("id_card_no", "text"),
    ("phone", "text"),
)

VACCINATIONS = TableSpec(
    department="health",
    entity="vaccinations",
    key="record_no",
    delivery="file",
    file_format="csv",
    encoding="gbk",
    bom=False,
    columns=(
        ("record_no", "text"),
        *_PATIENT_COLUMNS,
        ("vaccine_code", "text"),
        ("vaccine_name", "text"),
        ("dose_no", "integer"),
        ("vaccination_date", "text"),
        ("clinic", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("person_id",),
    defects={
        "bad_check_digit": ("id_card_no",),
        "impossible_date": ("vaccination_date", "birth_date"),
        "missing_required": ("patient_name", "vaccine_code"),
        "out_of_domain": ("vaccine_code",),
        "duplicate": (),
    },
    variations=(
        ("missing_id", "id_card_no", 0.35),
        ("partial_id", "id_card_no", 0.08),
        ("date_format", "birth_date", 0.06),
        ("homophone_name", "patient_name", 0.02),
        ("traditional_chars", "patient_name", 0.01),
        ("stray_space", "patient_name", 0.01),
        ("phone_format", "phone", 0.05),
        ("fullwidth_digits", "phone", 0.01),
    ),
    value_kinds={"id_card_no": "resident_id", "birth_date": "date", "vaccination_date": "date"},
    domains={"vaccine_code": tuple(v[0] for v in lexicon.VACCINES), "gender": ("男", "女")},
    bogus={"vaccine_code": lexicon.BOGUS_VACCINE_CODES},
    insert_rate=0.004,
    update_rate=0.002,
)

CLINIC_VISITS = TableSpec(
    department="health",
    entity="clinic_visits",
    key="visit_no",
    delivery="file",
    file_format="jsonl",
    encoding="utf-8",
    columns=(
        ("visit_no", "text"),
        *_PATIENT_COLUMNS,
        ("hospital", "text"),
        ("department", "text"),
        ("visit_date", "text"),
        ("diagnosis_code", "text"),
        ("diagnosis_name", "text"),
        ("updated_at", "timestamptz"),
    ),
    refs=("person_id",),
    defects={
        "bad_check_digit": ("id_card_no",),
        "impossible_date": ("visit_date", "birth_date"),
        "missing_required": ("patient_name", "visit_date"),
        "out_of_domain": ("diagnosis_code",),
        "duplicate": (),
    },
    variations=(
        ("missing_id", "id_card_no", 0.40),
        ("partial_id", "id_card_no", 0.05),
        ("old_15_digit_id", "id_card_no", 0.01),
        ("date_format", "birth_date", 0.04),
        ("homophone_name", "patient_name", 0.02),
        ("similar_char_name", "patient_name", 0.01),
        ("traditional_chars", "patient_name", 0.01),
        ("phone_format", "phone", 0.05),
    ),
    value_kinds={"id_card_no": "resident_id", "birth_date": "date", "visit_date": "date"},
    domains={"diagnosis_code": tuple(d[0] for d in lexicon.DIAGNOSES), "gender": ("男", "女")},
    bogus={"diagnosis_code": lexicon.BOGUS_DIAGNOSIS_CODES},
    insert_rate=0.005,
    update_rate=0.002,
)

_SEXES = np.array(["女", "男"], dtype=object)
_CLINICS: list[tuple[int, str]] = [
    (d, f"{district.name}{street}社区健康服务中心预防接种门诊")
    for d, district in enumerate(vocab.DISTRICTS)
    for street, _ in district.streets
]
_CLINIC_DISTRICT = np.array([d for d, _ in _CLINICS], dtype=np.int64)
_CLINIC_TEXT = np.array([c for _, c in _CLINICS], dtype=object)
_CLINIC_FIRST = np.searchsorted(_CLINIC_DISTRICT, np.arange(len(vocab.DISTRICTS)))
_CLINIC_COUNT = np.bincount(_CLINIC_DISTRICT, minlength=len(vocab.DISTRICTS))

_VACCINE_CODE = np.array([v[0] for v in lexicon.VACCINES], dtype=object)
_VACCINE_NAME = np.array([v[1] for v in lexicon.VACCINES], dtype=object)
_VACCINE_DOSES = np.array([v[2] for v in lexicon.VACCINES], dtype=np.int64)
_VACCINE_FOR = np.array([v[3] for v in lexicon.VACCINES])
_CHILD_VACCINES = np.flatnonzero(_VACCINE_FOR == "child")
_HOSPITAL = np.array([h for h, _ in lexicon.HOSPITALS], dtype=object)
_CHILDRENS_HOSPITAL = int(np.flatnonzero(_HOSPITAL == "深圳市儿童医院")[0])
_DEPARTMENT = np.array(lexicon.CLINIC_DEPARTMENTS, dtype=object)
_PAEDIATRICS = int(np.flatnonzero(_DEPARTMENT == "儿科")[0])
_DIAGNOSIS_CODE = np.array([d[0] for d in lexicon.DIAGNOSES], dtype=object)
_DIAGNOSIS_NAME = np.array([d[1] for d in lexicon.DIAGNOSES], dtype=object)
_DIAGNOSIS_DEPARTMENT = np.array([lexicon.CLINIC_DEPARTMENTS.index(d[2]) for d in lexicon.DIAGNOSES], dtype=np.int64)
_DIAGNOSIS_WEIGHTS = np.array([d[3:] for d in lexicon.DIAGNOSES], dtype=np.float64).T  # (3 age groups, codes)
_FEMALE_ONLY = np.array([d[2] == "妇科" for d in lexicon.DIAGNOSES])


@dataclass(frozen=True, eq=False)
class Care:
    """How many vaccinations and clinic visits each member of the department has on day 0."""

    person: IntArray
    vaccinations: IntArray
    visits: IntArray


def care(world: World) -> Care:
    """Every member has at least one record in one of the two tables."""
    return world.memo("care", _care)


def _care(world: World) -> Care:
    rng = world.rng("care")
    person = world.members(HEALTH)
    age = world.population.age()[person]
    n = person.size
    child = age < 18
    vaccinations = np.where(child, 2 + rng.poisson(2.0, n), (rng.random(n) < 0.25) * (1 + (rng.random(n) < 0.3)))
    vaccinations = np.minimum(vaccinations, 8)
    visits = np.where(rng.random(n) < np.where(child, 0.5, 0.85), 1 + rng.poisson(np.where(child, 0.7, 0.8)), 0)
    visits = np.where((vaccinations == 0) & (visits == 0), 1, visits)
    return Care(person, vaccinations.astype(np.int64), visits.astype(np.int64))


def _patients(world: World, person: IntArray) -> dict[str, np.ndarray]:
    population = world.population
    return {
        "patient_name": population.name_text[person],
        "gender": _SEXES[population.male[person].astype(np.int64)],
        "birth_date": iso_dates(population.birth_day[person]),
        "id_card_no": population.id_text[person],
        "phone": population.phone_text[person],
    }


def _district_of(world: World, person: IntArray, rng: np.random.Generator) -> IntArray:
    population = world.population
    home = population.households.district[np.maximum(population.household[person], 0)]
    anywhere = choice(rng, len(vocab.DISTRICTS), person.size, [d.weight for d in vocab.DISTRICTS])
    out: IntArray = np.where(population.household[person] >= 0, home, anywhere)
    return out


class Vaccinations(TableModel):
    spec = VACCINATIONS

    def _batch(
        self,
        world: World,
        rng: np.random.Generator,
        person: IntArray,
        day_of: IntArray,
        vaccine: IntArray,
        dose: IntArray,
        day: int,
    ) -> Batch:
        district = _district_of(world, person, rng)
        clinic = _CLINIC_TEXT[
            _CLINIC_FIRST[district] + np.floor(rng.random(person.size) * _CLINIC_COUNT[district]).astype(np.int64)
        ]
        created, updated = event_times(rng, day_of, touched=0.1) if day == 0 else window_times(rng, day, person.size)
        return Batch(
            columns={
                **_patients(world, person),
                "vaccine_code": _VACCINE_CODE[vaccine],
                "vaccine_name": _VACCINE_NAME[vaccine],
                "dose_no": dose.astype(np.int64),
                "vaccination_date": iso_dates(day_of),
                "clinic": clinic,
            },
            refs={"person_id": person},
            created=created,
            updated=updated,
        )

    def _vaccines(self, world: World, rng: np.random.Generator, person: IntArray) -> IntArray:
        """A vaccine fit for each person's age and sex."""
        population = world.population
        age = population.age()[person]
        n = person.size
        child_pick = _CHILD_VACCINES[rng.integers(0, _CHILD_VACCINES.size, n)]
        code = {c: i for i, c in enumerate(_VACCINE_CODE)}
        options = np.array([code[c] for c in ("Flu", "Flu", "Flu", "COVID-19", "RabV", "HPV", "PPV23", "HZ")])
        adult_index = options[rng.integers(0, options.size, n)]
        woman = ~population.male[person] & (age >= 9) & (age <= 45)
        elderly = age >= 60
        adult_index = np.where((adult_index == code["HPV"]) & ~woman, code["Flu"], adult_index)
        for_elderly = (adult_index == code["PPV23"]) | (adult_index == code["HZ"])
        adult_index = np.where(for_elderly & ~elderly, code["RabV"], adult_index)
        return np.where(age < 18, child_pick, adult_index)

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        plan = care(world)
        person = np.repeat(plan.person, plan.vaccinations)
        vaccine = self._vaccines(world, rng, person)
        birth = world.population.birth_day[person]
        age_days = base_day() - 1 - birth
        child = age_days < 18 * 365
        # Children within their first six years; adults within the last three.
        day_of = np.where(
            child,
            birth + np.floor(rng.random(person.size) * np.minimum(age_days, 6 * 365)).astype(np.int64),
            base_day() - 1 - rng.integers(0, 3 * 365, person.size),
        )
        dose = 1 + np.floor(rng.random(person.size) * _VACCINE_DOSES[vaccine]).astype(np.int64)
        return self._batch(world, rng, person, day_of, vaccine, dose, 0)

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        """Babies registered that day get their first hepatitis B dose; members get their next shots."""
        population = world.population
        babies = np.flatnonzero(population.created_day == day)
        members = care(world).person
        others = members[rng.integers(0, members.size, count)] if members.size else members
        person = np.concatenate([babies, others])
        vaccine = self._vaccines(world, rng, person)
        vaccine[: babies.size] = int(np.flatnonzero(_VACCINE_CODE == "HepB")[0])
        dose = 1 + np.floor(rng.random(person.size) * _VACCINE_DOSES[vaccine]).astype(np.int64)
        dose[: babies.size] = 1
        day_of = np.full(person.size, base_day() + day - 1, dtype=np.int64)
        return self._batch(world, rng, person, day_of, vaccine, dose, day)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """The ID number filled in (or corrected) when the patient came back with the card."""
        person = world.person_index(truth["person_id"].to_numpy(dtype=object))
        return {"id_card_no": world.population.id_text[np.maximum(person, 0)]}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        return text_column(digits(serial, 12, prefix="YM"))

    def renames(self, day: int) -> dict[str, str]:
        return {"phone": "mobile_phone"} if day >= DRIFT_DAY else {}


class ClinicVisits(TableModel):
    spec = CLINIC_VISITS

    def _batch(self, world: World, rng: np.random.Generator, person: IntArray, day_of: IntArray, day: int) -> Batch:
        n = person.size
        age = world.population.age()[person]
        child = age < 18
        group = np.where(child, 0, np.where(age < 60, 1, 2))
        u = rng.random((n, 1))
        cdf = np.cumsum(_DIAGNOSIS_WEIGHTS, axis=1)
        cdf /= cdf[:, -1:]
        diagnosis = (u > cdf[group]).sum(axis=1).clip(0, _DIAGNOSIS_CODE.size - 1)
        male = world.population.male[person]
        diagnosis = np.where(male & _FEMALE_ONLY[diagnosis], 0, diagnosis)  # men see no gynaecologist
        hospital = choice(rng, _HOSPITAL.size, n, [w for _, w in lexicon.HOSPITALS])
        hospital = np.where(child & (rng.random(n) < 0.3), _CHILDRENS_HOSPITAL, hospital)
        # The department follows the diagnosis; children's ailments go to paediatrics.
        department = _DIAGNOSIS_DEPARTMENT[diagnosis]
        department = np.where(child & (_DEPARTMENT[department] == "内科"), _PAEDIATRICS, department)
        created, updated = event_times(rng, day_of, touched=0.05) if day == 0 else window_times(rng, day, n)
        return Batch(
            columns={
                **_patients(world, person),
                "hospital": _HOSPITAL[hospital],
                "department": _DEPARTMENT[department],
                "visit_date": iso_dates(day_of),
                "diagnosis_code": _DIAGNOSIS_CODE[diagnosis],
                "diagnosis_name": _DIAGNOSIS_NAME[diagnosis],
            },
            refs={"person_id": person},
            created=created,
            updated=updated,
        )

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        plan = care(world)
        person = np.repeat(plan.person, plan.visits)
        birth = world.population.birth_day[person]
        since = np.maximum(birth, base_day() - 2 * 365)
        day_of = since + np.floor(rng.random(person.size) * (base_day() - since)).astype(np.int64)
        return self._batch(world, rng, person, np.minimum(day_of, base_day() - 1), 0)

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        members = care(world).person
        person = members[rng.integers(0, members.size, count)] if members.size else members
        return self._batch(world, rng, person, np.full(person.size, base_day() + day - 1, dtype=np.int64), day)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """The diagnosis revised after tests (within the same department)."""
        department = rows["department"].to_numpy(dtype=object)
        diagnosis = rng.integers(0, _DIAGNOSIS_CODE.size, len(rows))
        same = _DEPARTMENT[_DIAGNOSIS_DEPARTMENT[diagnosis]] == department
        current = pd.Series(rows["diagnosis_code"].to_numpy(dtype=object)).map(
            {c: i for i, c in enumerate(_DIAGNOSIS_CODE)}
        )
        keep = current.fillna(0).to_numpy(dtype=np.int64)
        diagnosis = np.where(same, diagnosis, keep)
        return {"diagnosis_code": _DIAGNOSIS_CODE[diagnosis], "diagnosis_name": _DIAGNOSIS_NAME[diagnosis]}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        return text_column(digits(serial, 12, prefix="MZ"))
