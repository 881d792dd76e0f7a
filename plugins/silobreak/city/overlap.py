"""How the departments' records overlap: which real person and enterprise each record refers to.

Computed from the truth only (never from the records), for scoring and for
checking the generator: every adult resident should be known to three to
five departments. On day 0 every table holds everything; on later days the
files hold only that day's changes, so measure overlap on day 0.
"""

from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city.arrays import BASE_DATE
from silobreak.city.model import City

__all__ = ["department_counts", "overlap_distribution", "references"]

ADULT_AGE = 18


def references(city: City) -> pd.DataFrame:
    """Every entity reference of every record: department, entity, key, column, entity kind and id.

    One row per (record, truth column naming a person or an enterprise),
    without the references that are empty (a retiree has no employer).
    """
    parts = []
    for table in city.tables:
        truth = table.truth
        for column in truth.columns:
            if not (column.endswith("person_id") or column.endswith("enterprise_id")):
                continue
            ids = truth[column]
            known = ids.notna().to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "department": table.department,
                        "entity": table.entity,
                        "key": truth[table.key].to_numpy()[known],
                        "column": column,
                        "kind": "person" if column.endswith("person_id") else "enterprise",
                        "entity_id": ids.to_numpy()[known],
                    }
                )
            )
    columns = ["department", "entity", "key", "column", "kind", "entity_id"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def department_counts(city: City) -> pd.DataFrame:
    """Per real person: in how many departments' records they appear, and whether an adult resident.

    Columns: ``person_id``, ``departments`` (count), ``resident``, ``adult``
    (18 or older on day 0). Persons in no record have a count of 0.
    """
    refs = references(city)
    people = refs[refs["kind"] == "person"][["entity_id", "department"]].drop_duplicates()
    counts = people.groupby("entity_id").size()
    persons = city.persons
    birth = pd.to_datetime(persons["birth_date"])
    base = pd.Timestamp(BASE_DATE)
    age = base.year - birth.dt.year - ((birth.dt.month * 100 + birth.dt.day) > base.month * 100 + base.day)
    return pd.DataFrame(
        {
            "person_id": persons["person_id"],
            "departments": persons["person_id"].map(counts).fillna(0).astype("int64"),
            "resident": persons["resident"],
            "adult": age >= ADULT_AGE,
        }
    )


def overlap_distribution(city: City, *, adult_residents: bool = True) -> pd.Series:
    """Number of persons by the number of departments they appear in (adult residents only by default)."""
    counts = department_counts(city)
    if adult_residents:
        counts = counts[counts["resident"] & counts["adult"]]
    return counts["departments"].value_counts().sort_index()
