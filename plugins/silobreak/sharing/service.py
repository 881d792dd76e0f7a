"""The sharing operations as the CLI and the DAG run them, each on its own connection to the warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from silobreak.settings import Stack
from silobreak.sharing import audit, freshness, reads
from silobreak.sharing.apply import ApplyResult, apply, shared_schema
from silobreak.sharing.catalog import MASTER_SCHEMA, load_catalog
from silobreak.sharing.model import AGREEMENTS_DIR, AgreementFile, load_agreements, load_logins
from silobreak.warehouse import connect

CONSUMER_NAMESPACE = "silobreak-consumers"


def _files(directory: str | None) -> list[AgreementFile]:
    return load_agreements(Path(directory) if directory else AGREEMENTS_DIR)


def apply_agreements(
    stack: Stack,
    today: date | None = None,
    directory: str | None = None,
    actor: str | None = None,
    context: dict[str, Any] | None = None,
) -> ApplyResult:
    """Ingest the reads logged so far (under the agreements they were made under), apply, and report the
    shared views and their consumers to lineage."""
    files = _files(directory)
    catalog = load_catalog()
    with connect(stack, autocommit=True) as conn:
        reads.ingest(stack, conn)
        logins = load_logins(Path(directory) if directory else AGREEMENTS_DIR)
        result = apply(stack, conn, files, catalog, today or date.today(), actor=actor, logins=logins)
    _emit_lineage(stack, [f for f in files if f.agreement.id in result.granted], context)
    return result


def _emit_lineage(stack: Stack, granted: list[AgreementFile], context: dict[str, Any] | None) -> None:
    """``sharing.apply`` turns master registers into departments' views; each consuming department is a
    job reading its views, so consumers are nodes of the lineage graph."""
    from silobreak.lineage import emit

    if not granted:
        return
    parent = emit.airflow_parent(context)

    def view(file: AgreementFile) -> dict[str, Any]:
        return emit.warehouse_dataset(stack, shared_schema(file.agreement.consumer), file.agreement.dataset)

    masters = {f.agreement.dataset for f in granted}
    with emit.step(
        stack,
        "sharing.apply",
        inputs=[emit.warehouse_dataset(stack, MASTER_SCHEMA, d) for d in sorted(masters)],
        parent=parent,
        description="Apply the sharing agreements: one view per department and agreed dataset",
    ) as run:
        run.outputs = [view(f) for f in granted]
    for consumer in sorted({f.agreement.consumer for f in granted}):
        mine = [f for f in granted if f.agreement.consumer == consumer]
        purposes = "; ".join(" ".join(f.agreement.purpose.split()) for f in mine)
        with emit.step(stack, f"consumer.{consumer}", inputs=[view(f) for f in mine], parent=parent,
                       description=f"Department {consumer} reads its shared data for: {purposes}") as run:  # fmt: skip
            # the department itself, as the end of the graph: what it does with the data happens outside
            run.outputs = [{"namespace": CONSUMER_NAMESPACE, "name": f"department.{consumer}", "facets": {}}]


def check_freshness(stack: Stack, directory: str | None = None, actor: str = "sharing") -> list[freshness.Freshness]:
    """Assess every agreement's freshness; breaches go into the audit trail."""
    files = _files(directory)
    with connect(stack, autocommit=True) as conn:
        found = freshness.assess(conn, files)
        audit.record(stack, conn, freshness.breach_entries(found, actor))
    return found
