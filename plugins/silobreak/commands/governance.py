"""``silobreak quality`` and ``silobreak lineage``: what governance asks of the platform."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from silobreak.settings import current_stack
from silobreak.terminal import stdout


def quality(
    feed: Annotated[str | None, typer.Argument(help="One feed; all if omitted.")] = None,
    batches: Annotated[int, typer.Option(help="How many recent batches to show per feed.")] = 5,
) -> None:
    """Show recent batches per feed (rows, valid, quarantined, status) and why rows were quarantined."""
    from silobreak.warehouse import connect, ensure_platform_schema

    out = stdout()
    with connect(current_stack()) as conn:
        ensure_platform_schema(conn)
        rows = conn.execute(
            "select feed, batch_id, status, row_count, valid_count, quarantined_count, reasons, landed_at "
            "from (select *, row_number() over (partition by feed order by landed_at desc) as n "
            "from silobreak.batches where %(feed)s::text is null or feed = %(feed)s) b where n <= %(n)s "
            "order by feed, landed_at desc",
            {"feed": feed, "n": batches},
        ).fetchall()
        reasons = conn.execute(
            "select feed, reason, count(*) from silobreak.quarantined_rows, unnest(reasons) as reason "
            "where %(feed)s::text is null or feed = %(feed)s group by feed, reason order by feed, count(*) desc",
            {"feed": feed},
        ).fetchall()
    table = Table(title="batches")
    for column in ("feed", "batch", "status", "rows", "valid", "quarantined", "landed", "why rejected"):
        table.add_column(column, justify="right" if column in ("rows", "valid", "quarantined") else "left")
    for f, batch, status, n, valid, held, why, landed in rows:
        colour = {"loaded": "green", "rejected": "red"}.get(status, "yellow")
        table.add_row(
            f, batch, f"[{colour}]{status}", str(n), str(valid or ""), str(held or ""),
            f"{landed:%Y-%m-%d %H:%M}", "; ".join(why or []),
        )  # fmt: skip
    out.print(table)
    if reasons:
        why_table = Table(title="quarantined rows by failed check (all batches)")
        for column in ("feed", "check", "rows"):
            why_table.add_column(column)
        for f, reason, count in reasons:
            why_table.add_row(f, reason, str(count))
        out.print(why_table)


def lineage(
    dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. warehouse.master.master_person")],
    depth: Annotated[int, typer.Option(help="How many jobs upstream to follow.", min=1, max=20)] = 6,
    downstream: Annotated[bool, typer.Option(help="Follow consumers instead of sources.")] = False,
) -> None:
    """Show where a dataset's data came from (or, with --downstream, where it goes), from stored lineage."""
    from silobreak.lineage.tree import lineage_tree

    stdout().print(lineage_tree(current_stack(), dataset, depth=depth, downstream=downstream))
