"""Write the synthetic city into the departments' systems of record, and its truth aside."""

from __future__ import annotations

from pathlib import Path

from silobreak.city.residents import generate_residents, residents_to_postgres
from silobreak.settings import SOURCES_DB, Stack


def truth_dir(stack: Stack) -> Path:
    """Where the generator's truth goes: outside every bucket and database the pipeline reads."""
    return stack.dir / "truth"


def seed_city(stack: Stack, *, scale: int, seed: int, defect_rate: float = 0.03) -> dict[str, int]:
    """Generate the city and replace the departments' source tables with it; returns rows per feed."""
    residents = generate_residents(scale, seed=seed, defect_rate=defect_rate)
    written = residents_to_postgres(residents, stack.dsn(SOURCES_DB))
    out = truth_dir(stack)
    out.mkdir(parents=True, exist_ok=True)
    residents.truth.to_csv(out / "public_security__residents.csv", index=False)
    return {"public_security__residents": written}
