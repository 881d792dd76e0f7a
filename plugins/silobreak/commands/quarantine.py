"""``silobreak quarantine``: see the rows validation held back, and release or reject them."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from silobreak.errors import SilobreakError
from silobreak.settings import current_stack
from silobreak.terminal import stderr, stdout

app = typer.Typer(
    help="Rows held back by validation: list them, release them into raw, or reject them for good.",
    no_args_is_help=True,
)

Feed = Annotated[str, typer.Argument(help="The feed, e.g. public_security__residents.")]
Batch = Annotated[str, typer.Option("--batch", help="The batch id (see `silobreak quarantine list`).")]
Rows = Annotated[str | None, typer.Option(help="Comma-separated row numbers; all held rows of the batch if omitted.")]
Check = Annotated[str | None, typer.Option(help="Only rows that failed this check, e.g. id_card_no:resident_id.")]
Reason = Annotated[str, typer.Option(help="Why: kept with the decision.")]
By = Annotated[str | None, typer.Option("--by", help="Who decides (default: the OS user).")]


@app.command("list")
def list_rows(
    feed: Annotated[str | None, typer.Argument(help="One feed; all if omitted.")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="One batch only.")] = None,
    status: Annotated[str, typer.Option(help="held, released, rejected, superseded or all.")] = "held",
    limit: Annotated[int, typer.Option(help="At most this many rows.", min=1)] = 50,
) -> None:
    """Quarantined rows with every check each one failed, and what was decided about them."""
    from silobreak.warehouse import connect, ensure_platform_schema

    with connect(current_stack()) as conn:
        ensure_platform_schema(conn)
        rows = conn.execute(
            "select feed, batch_id, row_number, status, reasons, record, decided_by, decision_reason "
            "from silobreak.quarantine where (%(feed)s::text is null or feed = %(feed)s) "
            "and (%(batch)s::text is null or batch_id = %(batch)s) and (%(status)s = 'all' or status = %(status)s) "
            "order by feed, quarantined_at desc, batch_id, row_number limit %(limit)s",
            {"feed": feed, "batch": batch, "status": status, "limit": limit},
        ).fetchall()
    table = Table(title=f"quarantined rows ({status})")
    for column in ("feed", "batch", "row", "status", "failed checks", "record", "decision"):
        table.add_column(column, overflow="fold")
    for f, b, n, st, reasons, record, by, why in rows:
        decision = f"{by}: {why}" if by else ""
        table.add_row(f, b, str(n), st, "\n".join(reasons), json.dumps(record, ensure_ascii=False)[:160], decision)
    stdout().print(table)
    if not rows:
        stderr().print("no rows")


def _decide(
    feed: str, batch: str, decision: str, rows: str | None, check: str | None, reason: str, by: str | None
) -> None:
    from silobreak.contracts import get_contract
    from silobreak.lineage import emit
    from silobreak.pipeline import decisions
    from silobreak.warehouse import connect, ensure_platform_schema

    stack = current_stack()
    contract = get_contract(feed)
    try:
        numbers = [int(r) for r in rows.split(",")] if rows else None
    except ValueError as exc:
        raise SilobreakError(f"--rows {rows!r} is not a list of row numbers", hint="e.g. --rows 3,17,42") from exc
    held = emit.warehouse_dataset(stack, "silobreak", "quarantined_rows")
    raw = emit.warehouse_dataset(stack, contract.raw_schema, contract.raw_table, emit.contract_facets(contract))
    with (
        emit.step(
            stack,
            f"{feed}.quarantine_{'release' if decision == 'released' else 'reject'}",
            inputs=[held],
            description=f"Governance {decision} quarantined rows of {feed} batch {batch}: {reason}",
        ) as run,
        connect(stack) as conn,
    ):
        ensure_platform_schema(conn)
        outcome = decisions.decide(
            conn,
            contract,
            batch,
            decision,  # type: ignore[arg-type]
            reason=reason,
            decided_by=by or getpass.getuser(),
            rows=numbers,
            check=check,
        )
        if outcome.loaded:
            run.outputs = [raw]
    out = stdout()
    out.print(f"{decision} {outcome.decided} row(s) of {feed} batch {batch}")
    for number, earlier in sorted(outcome.already.items()):
        out.print(f"  row {number} was already {earlier}: left as it was")
    if outcome.loaded:
        _announce(contract.raw_schema, contract.raw_table, feed)


def _announce(schema: str, table: str, feed: str) -> None:
    """Released rows are in raw: let the master data DAG pick them up as after a load."""
    from silobreak.dag_factory import warehouse_asset
    from silobreak.runs import AirflowClient

    uri = warehouse_asset(schema, table).uri
    try:
        AirflowClient(current_stack()).asset_changed(uri, {"released_from": feed})
    except SilobreakError as exc:
        stderr().print(f"[yellow]the rows are in raw, but Airflow was not told ({exc.message}); run master_data later")
        return
    stdout().print("master_data will include them (Airflow was told the raw table changed)")


@app.command()
def release(feed: Feed, batch: Batch, reason: Reason, rows: Rows = None, check: Check = None, by: By = None) -> None:
    """Release held rows into the raw table (they reach master data on its next run)."""
    _decide(feed, batch, "released", rows, check, reason, by)


@app.command()
def reject(feed: Feed, batch: Batch, reason: Reason, rows: Rows = None, check: Check = None, by: By = None) -> None:
    """Reject held rows for good: they stay in quarantine, marked rejected, and never reach master data."""
    _decide(feed, batch, "rejected", rows, check, reason, by)
