"""Write the synthetic city into the departments' systems of record, and its truth aside."""

from __future__ import annotations

from collections.abc import Callable

from silobreak.city.generate import generate_city
from silobreak.city.writers import truth_dir, write_city
from silobreak.settings import Stack

__all__ = ["seed_city", "truth_dir"]


def seed_city(
    stack: Stack,
    *,
    scale: int,
    seed: int,
    defect_rate: float = 0.03,
    day: int = 0,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Generate the city on ``day`` and deliver it to the stack; returns source rows per feed.

    Postgres and API tables are replaced, files are dropped into the inbox
    bucket (write-once), the truth goes to :func:`truth_dir`. Feeds are named
    ``department__entity``, as their contracts are.
    """
    city = generate_city(scale, seed=seed, day=day, defect_rate=defect_rate)
    written = write_city(city, stack, progress=progress)
    return {name.replace(".", "__", 1): rows for name, rows in written.items()}
