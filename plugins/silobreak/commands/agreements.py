"""``silobreak agreements``: check, list and apply the sharing agreements in ``agreements/``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from silobreak.errors import SilobreakError
from silobreak.settings import current_stack
from silobreak.terminal import stderr, stdout

app = typer.Typer(help="Sharing agreements: which department reads which master register, how, why and until when.")
console = stderr()


def _today(on: str | None) -> date:
    try:
        return date.fromisoformat(on) if on else date.today()
    except ValueError as exc:
        raise SilobreakError(f"--on {on!r} is not a date", hint="write it as YYYY-MM-DD") from exc


OnOption = Annotated[str | None, typer.Option("--on", help="Judge the dates as of this day (YYYY-MM-DD).")]


@app.command("check")
def check(on: OnOption = None) -> None:
    """Validate every agreement: fields, dataset and columns, sensitivity against purpose, dates."""
    from silobreak.sharing.catalog import load_catalog
    from silobreak.sharing.model import AGREEMENTS_DIR, load_agreements
    from silobreak.sharing.policy import problems

    files = load_agreements()
    catalog = load_catalog()
    found = [p for f in files for p in problems(f, catalog, _today(on), ended_is_error=True)]
    if found:
        raise SilobreakError(
            f"{len(found)} problem(s) in {AGREEMENTS_DIR.name}/:\n" + "\n".join(f"  {p}" for p in found),
            hint="see docs/sharing.md for the rules",
        )
    console.print(f"[green]{len(files)} agreement(s) valid[/green] against {len(catalog)} master register(s)")


@app.command("list")
def list_(on: OnOption = None) -> None:
    """Every agreement: consumer, dataset, columns and their access, period, and whether it is in force."""
    from silobreak.sharing.catalog import load_catalog
    from silobreak.sharing.model import load_agreements
    from silobreak.sharing.policy import grants

    today = _today(on)
    catalog = load_catalog()
    table = Table(title=f"sharing agreements (as of {today})")
    for column in ("agreement", "consumer", "dataset", "columns", "rows", "period", "state", "purpose"):
        table.add_column(column)
    for file in load_agreements():
        a = file.agreement
        dataset = catalog.get(a.dataset)
        shared = (
            ", ".join(f"{g.column.name} ({g.access})" for g in grants(file, dataset))
            if dataset and all(c.name in dataset.columns for c in a.columns)
            else "?"
        )
        rows = "all"
        if a.row_filter:
            values = a.row_filter.in_ or a.row_filter.starts_with or []
            rows = f"{a.row_filter.column} {'in' if a.row_filter.in_ else 'starts with'} {', '.join(map(str, values))}"
        state = "[green]in force" if a.active(today) else ("[red]ended" if a.end < today else "[yellow]not started")
        purpose = " ".join(a.purpose.split())
        purpose = purpose if len(purpose) <= 60 else purpose[:59] + "…"
        table.add_row(a.id, a.consumer, a.dataset, shared, rows, f"{a.start} .. {a.end}", state, purpose)
    stdout().print(table)


@app.command("apply")
def apply_(on: OnOption = None) -> None:
    """Make Postgres grant exactly what the agreements in force say; revoke the rest; record changes."""
    from silobreak.sharing.service import apply_agreements

    result = apply_agreements(current_stack(), _today(on))
    for agreement in result.granted:
        console.print(f"[green]granted[/green] {agreement}")
    for agreement in result.waiting:
        console.print(f"[yellow]waiting[/yellow] {agreement}: its master register is not built yet (silobreak run)")
    for agreement in result.revoked:
        console.print(f"[red]revoked[/red] {agreement}")
    console.print(
        f"{len(result.departments)} department(s) with access; {result.changes} change(s) recorded in the audit trail"
    )


@app.command("docs")
def docs(
    out: Annotated[
        str | None, typer.Option(help="Folder to write into (default: the stack's sharing/ folder).")
    ] = None,
    on: OnOption = None,
) -> None:
    """Write each consuming department's data dictionary and connection recipe (Markdown)."""
    from pathlib import Path

    from silobreak.sharing.catalog import load_catalog
    from silobreak.sharing.dictionary import write_department_docs
    from silobreak.sharing.model import load_agreements
    from silobreak.warehouse import connect

    stack = current_stack()
    folder = Path(out) if out else stack.dir / "sharing"
    with connect(stack) as conn:
        written = write_department_docs(stack, conn, load_agreements(), load_catalog(), _today(on), folder)
    for path in written:
        console.print(f"wrote {path}")


@app.command("recipe")
def recipe(
    department: Annotated[str, typer.Argument(help="The consuming department.")],
    password: Annotated[bool, typer.Option(help="Also print the login's password (for the department only).")] = False,
) -> None:
    """How a department connects to its shared tables."""
    from silobreak.sharing.apply import login_password
    from silobreak.sharing.dictionary import connection_recipe
    from silobreak.sharing.model import load_agreements

    files = load_agreements()
    if department not in {f.agreement.consumer for f in files}:
        known = ", ".join(sorted({f.agreement.consumer for f in files}))
        raise SilobreakError(f"no agreement names {department!r} as consumer", hint=f"consumers: {known}")
    stack = current_stack()
    stdout().print(connection_recipe(stack, department, files, date.today()), markup=False, highlight=False)
    if password:
        stdout().print(f"password: {login_password(stack, department)}", markup=False, highlight=False)


@app.command("freshness")
def freshness() -> None:
    """Age of each agreement's dataset against the freshness it promises; breaches go to the audit trail."""
    from silobreak.sharing.service import check_freshness

    found = check_freshness(current_stack(), actor="cli")
    table = Table(title="freshness the consumers rely on")
    for column in ("agreement", "dataset", "age (h)", "at most (h)", "state"):
        table.add_column(column)
    for f in found:
        age = "never loaded" if f.age_hours is None else f"{f.age_hours:.1f}"
        state = "[red]breached" if f.breached else "[green]ok"
        table.add_row(f.agreement, f.dataset, age, str(f.max_age_hours), state)
    stdout().print(table)


@app.command("scorecards")
def scorecards(
    department: Annotated[str | None, typer.Argument(help="One producing department; all if omitted.")] = None,
) -> None:
    """Deliver each source department its quality scorecard and quarantined rows (s3://outbox/<dept>/quality/)."""
    from silobreak.sharing.producers import OUTBOX_BUCKET, deliver, producers
    from silobreak.stack.s3 import client
    from silobreak.warehouse import connect, ensure_platform_schema

    stack = current_stack()
    known = producers()
    if department is not None and department not in known:
        raise SilobreakError(f"no feed contract of department {department!r}", hint=f"departments: {', '.join(known)}")
    s3 = client(stack)
    with connect(stack) as conn:
        ensure_platform_schema(conn)
        for name in [department] if department else sorted(known):
            written = deliver(conn, s3, name, date.today())
            where = f"s3://{OUTBOX_BUCKET}/{name}/quality/{date.today()}/"
            console.print(f"{name}: {len(written)} new file(s) in {where}" if written else f"{name}: up to date")


@app.command("exposures")
def exposures(
    out: Annotated[
        str | None, typer.Option(help="Write to this file (e.g. dbt_project/models/marts/_sharing__exposures.yml).")
    ] = None,
    on: OnOption = None,
) -> None:
    """dbt exposures of the agreements in force (the consuming departments), for dbt docs and selection."""
    from pathlib import Path

    from silobreak.sharing.dictionary import dbt_exposures
    from silobreak.sharing.model import load_agreements

    text = dbt_exposures(load_agreements(), _today(on))
    if out:
        Path(out).write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        stdout().print(text, markup=False, highlight=False)
