"""What the synthetic city hands over: each department's source tables, and the truth beside them.

A :class:`SourceTable` is one department entity as the pipeline must read it
(a Postgres table, a file dropped into the inbox, or the table behind an HTTP
API) together with its truth, which only tests and benchmarks may read. A
:class:`City` is all of them on one day.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city.arrays import BASE_DATE

__all__ = [
    "DEPARTMENTS",
    "City",
    "Delivery",
    "FileFormat",
    "SourceTable",
    "date_of_day",
]

Delivery = Literal["postgres", "file", "api"]
FileFormat = Literal["csv", "jsonl", "xlsx"]

#: The six departments of the demo city, in the order their tables are listed.
DEPARTMENTS: tuple[str, ...] = (
    "public_security",
    "human_resources",
    "market_regulation",
    "traffic_police",
    "health",
    "civil_affairs",
)


def date_of_day(day: int) -> datetime.date:
    """The date of day ``day``: :data:`BASE_DATE` plus ``day`` days."""
    return BASE_DATE + datetime.timedelta(days=day)


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(frozen=True, eq=False)
class SourceTable:
    """One department entity: its records as delivered, and (apart) the truth about each.

    ``records`` is what the department holds (Postgres and API tables: the
    whole table on that day) or sends (files: that day's file, new and
    changed records only). ``truth`` has one row per record, keyed by
    ``key``: the true entity behind every person or enterprise reference
    (``person_id``, ``*_person_id``, ``enterprise_id``, ``*_enterprise_id``),
    the injected ``defect`` and ``variation`` with the column they touch, and
    the day the record first appeared and last changed. ``deleted`` (Postgres
    tables) lists the keys deleted up to that day, with ``deleted_day``.
    """

    department: str
    entity: str
    key: str
    delivery: Delivery
    file_format: FileFormat | None
    encoding: str | None
    records: pd.DataFrame
    truth: pd.DataFrame
    bom: bool = False
    """Files only: whether the file starts with a byte-order mark (GB18030's is ``84 31 95 33``)."""
    column_types: Mapping[str, str] = field(default_factory=dict)
    """Declared type of each column (text, integer, numeric, date, timestamptz, boolean)."""
    deleted: pd.DataFrame = field(default_factory=_empty)

    @property
    def name(self) -> str:
        """``department.entity``, as the table is called in Postgres."""
        return f"{self.department}.{self.entity}"

    @property
    def feed(self) -> str:
        """``department__entity``, the id of the feed contract that reads it."""
        return f"{self.department}__{self.entity}"


@dataclass(frozen=True, eq=False)
class City:
    """Every department's source tables on ``day``, plus the true persons and enterprises.

    ``persons`` and ``enterprises`` are truth too: one row per real person
    (residents, newborns, visitors) and enterprise that exists on ``day``.
    """

    scale: int
    seed: int
    day: int
    tables: list[SourceTable]
    persons: pd.DataFrame = field(default_factory=_empty)
    enterprises: pd.DataFrame = field(default_factory=_empty)

    @property
    def date(self) -> datetime.date:
        return date_of_day(self.day)

    def table(self, name: str) -> SourceTable:
        """The table called ``department.entity`` (or ``department__entity``)."""
        for table in self.tables:
            if name in (table.name, table.feed):
                return table
        raise KeyError(f"no table {name!r} in the city; tables: {[t.name for t in self.tables]}")

    @property
    def record_count(self) -> int:
        """Records over all tables (for files: in that day's files)."""
        return sum(len(t.records) for t in self.tables)
