"""Freshness the consumers rely on: a shared dataset older than an agreement's ``max_age_hours``.

A master register is as fresh as the newest batch loaded from a feed that supplies it (a feed whose
contract maps a column to ``<entity>.*`` supplies ``master_<entity>``). A breach is recorded in the
audit trail, where governance and the consuming department (``silobreak agreements freshness``) see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from silobreak.contracts import load_contracts
from silobreak.sharing import audit
from silobreak.sharing.model import AgreementFile


@dataclass(frozen=True)
class Freshness:
    agreement: str
    consumer: str
    dataset: str
    purpose: str
    max_age_hours: int
    age_hours: float | None
    """None when no feed of the dataset has loaded anything yet."""

    @property
    def breached(self) -> bool:
        return self.age_hours is None or self.age_hours > self.max_age_hours


def feeds_of(dataset: str) -> list[str]:
    return sorted(
        {
            c.feed
            for c in load_contracts()
            for col in c.columns
            if col.maps_to and f"master_{col.maps_to.split('.')[0]}" == dataset
        }
    )


def assess(conn: psycopg.Connection[Any], files: list[AgreementFile], now: datetime | None = None) -> list[Freshness]:
    """Every agreement in force that names a freshness, with its dataset's age."""
    now = now or datetime.now(UTC)
    found = []
    for file in files:
        a = file.agreement
        if a.freshness is None or not a.active(now.date()):
            continue
        row = conn.execute(
            "select max(loaded_at) from silobreak.batches where status = 'loaded' and feed = any(%s)",
            (feeds_of(a.dataset),),
        ).fetchone()
        newest = row[0] if row else None
        age = (now - newest).total_seconds() / 3600 if newest else None
        found.append(Freshness(a.id, a.consumer, a.dataset, a.purpose, a.freshness.max_age_hours, age))
    return found


def breach_entries(found: list[Freshness], actor: str) -> list[audit.Entry]:
    """Audit entries for the breaches (the caller appends them)."""
    now = datetime.now(UTC)
    return [
        audit.Entry(
            now,
            actor,
            "freshness.breach",
            f.consumer,
            f.dataset,
            f.purpose,
            {
                "agreement": f.agreement,
                "max_age_hours": f.max_age_hours,
                "age_hours": None if f.age_hours is None else round(f.age_hours, 1),
            },
        )
        for f in found
        if f.breached
    ]
