"""The sharing operations as the CLI and the DAG run them, each on its own connection to the warehouse."""

from __future__ import annotations

from datetime import date

from silobreak.settings import Stack
from silobreak.sharing import reads
from silobreak.sharing.apply import ApplyResult, apply
from silobreak.sharing.catalog import load_catalog
from silobreak.sharing.model import AGREEMENTS_DIR, load_agreements
from silobreak.warehouse import connect


def apply_agreements(
    stack: Stack, today: date | None = None, directory: str | None = None, actor: str | None = None
) -> ApplyResult:
    """Ingest the reads logged so far (under the agreements they were made under), then apply."""
    from pathlib import Path

    files = load_agreements(Path(directory) if directory else AGREEMENTS_DIR)
    catalog = load_catalog()
    with connect(stack, autocommit=True) as conn:
        reads.ingest(stack, conn)
        return apply(stack, conn, files, catalog, today or date.today(), actor=actor)
