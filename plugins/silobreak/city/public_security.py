"""Public Security: the household register (户籍) as a table of the city, day after day.

Day 0 is exactly :func:`silobreak.city.residents.generate_residents` (the
feed contract ``public_security__residents`` reads it, and its tests pin it).
Later days register newborns into existing households, record new mobile
numbers and remove people who died or moved their registration away.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city.arrays import IntArray, ObjArray, date_objects, digits, text_column, window_times
from silobreak.city.population import _mobiles
from silobreak.city.residents import RECORD_COLUMNS, SHENZHEN_DIVISIONS, VARIATION_RATE
from silobreak.city.tables import Batch, TableModel, TableSpec, TableState
from silobreak.city.world import World

__all__ = ["RESIDENTS", "Residents"]

_TYPES = {"birth_date": "date", "updated_at": "timestamptz"}

RESIDENTS = TableSpec(
    department="public_security",
    entity="residents",
    key="person_no",
    delivery="postgres",
    columns=tuple((c, _TYPES.get(c, "text")) for c in RECORD_COLUMNS),
    refs=("person_id",),
    defects={
        "bad_check_digit": ("id_card_no",),
        "impossible_birth_date": ("id_card_no",),
        "missing_id": ("id_card_no",),
        "missing_name": ("name",),
        "gender_mismatch": ("gender",),
        "duplicate": (),
    },
    variations=(
        ("lowercase_x", "id_card_no", VARIATION_RATE / 3),
        ("id_space", "id_card_no", VARIATION_RATE / 3),
        ("name_space", "name", VARIATION_RATE / 3),
    ),
    value_kinds={"id_card_no": "resident_id", "gender": "gender"},
    domains={"gender": ("男", "女"), "division_code": tuple(SHENZHEN_DIVISIONS)},
    insert_rate=0.0,  # newborns come from the population
    update_rate=0.002,
    delete_rate=0.0002,
)

_DEFECT_COLUMN = {
    "bad_check_digit": "id_card_no",
    "impossible_birth_date": "id_card_no",
    "missing_id": "id_card_no",
    "missing_name": "name",
    "gender_mismatch": "gender",
}
_VARIATION_COLUMN = {"lowercase_x": "id_card_no", "id_space": "id_card_no", "name_space": "name"}
_SEXES = np.array(["女", "男"], dtype=object)


class Residents(TableModel):
    spec = RESIDENTS

    def initial(self, world: World) -> TableState:
        records = world.residents.records
        truth = world.residents.truth.copy()
        truth["defect_column"] = truth["defect"].map(_DEFECT_COLUMN).astype(object)
        truth["variation_column"] = truth["variation"].map(_VARIATION_COLUMN).astype(object)
        for column in ("defect_column", "variation_column"):
            truth[column] = truth[column].where(truth[column].notna(), None)
        truth["first_day"] = np.zeros(len(truth), dtype=np.int64)
        truth["last_day"] = np.zeros(len(truth), dtype=np.int64)
        updated = records["updated_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("M8[s]").astype(np.int64)
        return TableState(
            records=records.drop(columns="updated_at"),
            updated=updated,
            truth=truth[self.spec.truth_columns],
            deleted=[],
            next_serial=len(records) + 1,
        )

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        raise NotImplementedError("the register's day 0 comes from generate_residents")

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        """The babies registered on ``day``."""
        population = world.population
        born = np.flatnonzero(population.created_day == day)
        household = population.household[born]
        homes = population.households
        created, updated = window_times(rng, day, born.size)
        return Batch(
            columns={
                "name": population.name_text[born].copy(),
                "gender": _SEXES[population.male[born].astype(np.int64)],
                "birth_date": date_objects(population.birth_day[born]),
                "id_card_no": population.id_text[born].copy(),
                "division_code": homes.division[household],
                "registered_address": homes.address[household],
                "household_no": homes.number[household],
                "phone": population.phone_text[born].copy(),
            },
            refs={"person_id": born},
            created=created,
            updated=updated,
        )

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """A new mobile number on file."""
        return {"phone": text_column(digits(_mobiles(rng, len(rows)), 11))}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        """Random person numbers (``SZ`` + 10 digits) not used before, like the register's own."""
        out = np.empty(len(batch), dtype=object)
        used = set(() if existing is None else existing.tolist())
        for i in range(len(batch)):
            while True:
                drawn = f"SZ{int(rng.integers(0, 10**10)):010d}"
                if drawn not in used:
                    break
            used.add(drawn)
            out[i] = drawn
        return out
