"""``silobreak audit``: verify the audit chain and answer who read what (for governance and residents)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from silobreak.errors import SilobreakError
from silobreak.settings import current_stack
from silobreak.terminal import stderr, stdout

app = typer.Typer(help="The audit trail of agreement changes and reads of shared data (append-only, hash-chained).")
console = stderr()


@app.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit 1 naming the first edited, deleted or missing entry."""
    from silobreak.sharing import audit, reads
    from silobreak.warehouse import connect

    stack = current_stack()
    with connect(stack, autocommit=True) as conn:
        reads.ingest(stack, conn)
        verdict = audit.verify(stack, conn)
    if not verdict.ok:
        console.print(f"[red]audit chain broken[/red] at entry {verdict.first_bad}: {verdict.problem}")
        raise typer.Exit(1)
    console.print(f"[green]audit chain intact[/green]: {verdict.entries} entries")


@app.command("who-read")
def who_read(
    identifier: Annotated[str, typer.Argument(help="A resident ID or an enterprise's unified social credit code.")],
) -> None:
    """Which departments read this person's (or enterprise's) shared records, when, and for what purpose."""
    from silobreak.sharing import citizen, reads
    from silobreak.warehouse import connect

    stack = current_stack()
    with connect(stack, autocommit=True) as conn:
        reads.ingest(stack, conn)
        found = citizen.who_read(conn, identifier)
    table = Table(title=f"reads of the shared records of {citizen.key_of(identifier)[1][:6]}…")
    for column in ("when", "department", "dataset", "columns", "purpose"):
        table.add_column(column)
    for read in found:
        columns = ", ".join(f"{c['name']} ({c['access']})" for c in read.columns)
        table.add_row(f"{read.at:%Y-%m-%d %H:%M:%S}", read.department, read.dataset, columns, read.purpose.strip())
    stdout().print(table)
    if not found:
        console.print("no department has read these records under an agreement")


@app.command("reads")
def reads_(
    since: Annotated[str | None, typer.Option(help="From this time (YYYY-MM-DD[ HH:MM]).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this time (YYYY-MM-DD[ HH:MM]).")] = None,
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
) -> None:
    """Who read what in a period: every read of shared data, with the declared purpose."""
    from silobreak.sharing import audit, reads
    from silobreak.warehouse import connect

    def when(value: str | None) -> datetime | None:
        try:
            return datetime.fromisoformat(value) if value else None
        except ValueError as exc:
            raise SilobreakError(f"{value!r} is not a time", hint="write YYYY-MM-DD or YYYY-MM-DD HH:MM") from exc

    stack = current_stack()
    with connect(stack, autocommit=True) as conn:
        reads.ingest(stack, conn)
        audit.ensure_audit_schema(conn)
        rows = conn.execute(
            "select at, department, dataset, coalesce(purpose, '(no agreement in force)'), actor, count(*) "
            "from audit.log where action = 'read' and (%(since)s::timestamptz is null or at >= %(since)s) "
            "and (%(until)s::timestamptz is null or at < %(until)s) "
            "and (%(dept)s::text is null or department = %(dept)s) "
            "group by 1, 2, 3, 4, 5 order by 1",
            {"since": when(since), "until": when(until), "dept": department},
        ).fetchall()
    table = Table(title="reads of shared data")
    for column in ("when", "department", "login", "dataset", "purpose"):
        table.add_column(column)
    for at, dept, dataset, purpose, actor, _ in rows:
        table.add_row(f"{at:%Y-%m-%d %H:%M:%S}", dept, actor, dataset, purpose.strip())
    stdout().print(table)
