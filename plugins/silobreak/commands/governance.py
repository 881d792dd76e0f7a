"""``silobreak quality`` and ``silobreak lineage``: what governance asks of the platform."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from psycopg import Connection
from rich.table import Table

from silobreak.settings import current_stack
from silobreak.terminal import stdout


def quality(
    feed: Annotated[str | None, typer.Argument(help="One feed; all if omitted.")] = None,
    batches: Annotated[int, typer.Option(help="How many recent batches to show per feed.")] = 5,
    checks: Annotated[bool, typer.Option(help="Show each check's history (rows failed per batch).")] = False,
) -> None:
    """Show recent batches per feed (rows, valid, quarantined, status, warnings) and why rows were held.

    The same history is in the warehouse for any SQL client: ``silobreak.quality_history`` (per batch),
    ``silobreak.validation_results`` (per check and batch) and ``silobreak.quarantine`` (per row).
    """
    from silobreak.warehouse import connect, ensure_platform_schema

    out = stdout()
    params = {"feed": feed, "n": batches}
    with connect(current_stack()) as conn:
        ensure_platform_schema(conn)
        if checks:
            _check_history(conn, params)
            return
        rows = conn.execute(
            "select feed, batch_id, status, row_count, valid_count, quarantined_count, reasons, warnings, landed_at, "
            "superseded_by from (select *, row_number() over (partition by feed order by landed_at desc) as n "
            "from silobreak.batches where %(feed)s::text is null or feed = %(feed)s) b where n <= %(n)s "
            "order by feed, landed_at desc",
            params,
        ).fetchall()
        reasons = conn.execute(
            "select feed, reason, status, count(*) from silobreak.quarantine, unnest(reasons) as reason "
            "where %(feed)s::text is null or feed = %(feed)s group by feed, reason, status "
            "order by feed, count(*) desc",
            params,
        ).fetchall()
    table = Table(title="batches")
    for column in ("feed", "batch", "status", "rows", "valid", "quarantined", "landed", "why rejected / warnings"):
        table.add_column(column, justify="right" if column in ("rows", "valid", "quarantined") else "left")
    for f, batch, status, n, valid, held, why, warned, landed, superseded_by in rows:
        colour = {"loaded": "green", "rejected": "red", "superseded": "dim"}.get(status, "yellow")
        label = f"{status} by {superseded_by}" if superseded_by else status
        notes = [f"[red]{w}" for w in why or []] + [f"[yellow]{w}" for w in warned or []]
        table.add_row(
            f, batch, f"[{colour}]{label}", str(n), str(valid or ""), str(held or ""),
            f"{landed:%Y-%m-%d %H:%M}", "\n".join(notes),
        )  # fmt: skip
    out.print(table)
    if reasons:
        why_table = Table(title="quarantined rows by failed check (all batches)")
        for column in ("feed", "check", "status", "rows"):
            why_table.add_column(column)
        for f, reason, status, count in reasons:
            why_table.add_row(f, reason, status, str(count))
        out.print(why_table)


def _check_history(conn: Connection[Any], params: dict[str, Any]) -> None:
    rows = conn.execute(
        "select r.feed, r.check_name, r.severity, b.batch_id, r.success, r.unexpected_count, r.element_count "
        "from silobreak.validation_results r join (select feed, batch_id, landed_at, row_number() over "
        "(partition by feed order by landed_at desc) as n from silobreak.batches) b using (feed, batch_id) "
        "where b.n <= %(n)s and (%(feed)s::text is null or r.feed = %(feed)s) "
        "order by r.feed, r.check_name, b.landed_at desc",
        params,
    ).fetchall()
    table = Table(title="checks per batch (newest first): rows failed / rows checked")
    for column in ("feed", "check", "severity", "history"):
        table.add_column(column)
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for f, check, severity, batch, success, failed, total in rows:
        mark = "[green]ok" if success else f"[red]{failed or 0}/{total or '?'}"
        grouped.setdefault((f, check, severity), []).append(f"{batch[:8]} {mark}")
    for (f, check, severity), history in grouped.items():
        table.add_row(f, check, severity, "  ".join(history))
    stdout().print(table)


def data_docs(
    serve: Annotated[bool, typer.Option(help="Serve the site over HTTP on loopback until Ctrl-C.")] = False,
    port: Annotated[int | None, typer.Option(help="Port for --serve (default: the stack's data_docs port).")] = None,
) -> None:
    """Where the Great Expectations Data Docs of every validated batch are (one page per batch)."""
    import functools
    import http.server

    from silobreak.errors import SilobreakError
    from silobreak.pipeline.data_docs import site_dir

    stack = current_stack()
    index = site_dir(stack) / "index.html"
    if not index.exists():
        raise SilobreakError("no Data Docs yet: no batch has been validated", hint="run a feed: silobreak run FEED")
    if not serve:
        stdout().print(index.as_uri())
        return
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir(stack)))
    server = http.server.ThreadingHTTPServer((stack.host, port or stack.port("data_docs")), handler)
    stdout().print(f"Data Docs at http://{stack.host}:{server.server_port}/index.html (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def lineage(
    dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. warehouse.master.master_person")],
    depth: Annotated[int, typer.Option(help="How many jobs upstream to follow.", min=1, max=20)] = 6,
    downstream: Annotated[bool, typer.Option(help="Follow consumers instead of sources.")] = False,
) -> None:
    """Show where a dataset's data came from (or, with --downstream, where it goes), from stored lineage."""
    from silobreak.lineage.tree import lineage_tree

    stdout().print(lineage_tree(current_stack(), dataset, depth=depth, downstream=downstream))
