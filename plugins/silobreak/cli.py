"""The ``silobreak`` command: run the embedded stack and the department feeds."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from silobreak.commands import agreements as agreements_commands
from silobreak.commands import audit as audit_commands
from silobreak.commands import feed as feed_commands
from silobreak.commands import governance, review
from silobreak.commands import quarantine as quarantine_commands
from silobreak.errors import SilobreakError
from silobreak.settings import current_stack
from silobreak.terminal import stderr, stdout

app = typer.Typer(
    help="silobreak: share departmental records as checked, traceable master data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
city_app = typer.Typer(help="The synthetic demo city: departments' systems of record, with the truth kept aside.")
app.add_typer(city_app, name="city")
console = stderr()
_out = stdout


DEFAULT_SCALE = 3000
DEFAULT_SEED = 20261126


@city_app.command("generate")
def city_generate(
    scale: Annotated[int, typer.Option(help="Number of residents.", min=10)] = DEFAULT_SCALE,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same city.", min=0)] = DEFAULT_SEED,
    defect_rate: Annotated[
        float, typer.Option(help="Share of records with an injected defect.", min=0, max=0.5)
    ] = 0.03,
    day: Annotated[
        int, typer.Option(help="Day of the city: 0 is the initial load, N the state and drops after N days.", min=0)
    ] = 0,
) -> None:
    """Write the city into the departments' databases and inbox (Postgres and S3 must be up)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from silobreak.city.generate import generate_city
    from silobreak.city.seed import truth_dir
    from silobreak.city.writers import write_city
    from silobreak.stack.postgres import Postgres
    from silobreak.stack.s3 import S3Server

    stack = current_stack()
    if not Postgres(stack).running():
        raise SilobreakError("PostgreSQL of the stack is not running", hint="start it: silobreak up")
    if not S3Server(stack).running():
        raise SilobreakError("the S3 server of the stack is not running", hint="start it: silobreak up")
    with console.status(f"generating a city of {scale:,} residents (seed {seed}, day {day})"):
        city = generate_city(scale, seed=seed, day=day, defect_rate=defect_rate)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[table]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"delivering day {day} ({city.date})", total=city.record_count, table="")
        written = write_city(city, stack, progress=lambda name, rows: bar.update(task, advance=rows, table=name))
    for table in city.tables:
        where = "inbox" if table.delivery == "file" else table.delivery
        console.print(f"{table.name}: {written[table.name]:,} source rows ({where})")
    console.print(f"truth (never read by the pipeline): {truth_dir(stack)}")


@app.command()
def demo(
    scale: Annotated[int, typer.Option(help="Number of residents in the demo city.", min=10)] = DEFAULT_SCALE,
    seed: Annotated[int, typer.Option(help="Seed of the demo city.")] = DEFAULT_SEED,
) -> None:
    """Start the stack, generate the demo city, run every feed through Airflow and summarise."""
    up(airflow=True)
    city_generate(scale=scale, seed=seed, defect_rate=0.03)
    run(feed=None, timeout=1800)
    stack = current_stack()
    token_file = f".silobreak/{stack.name}/credentials.json"
    master_sql = "select * from master.master_person limit 5"
    next_steps = [
        ("Airflow UI", f"{stack.airflow_url}  (DAG public_security__residents)"),
        ("master data", f"psql \"{stack.dsn()}\" -c '{master_sql}'"),
        ("quality", "uv run silobreak quality   (batches, warnings, held rows by check)"),
        ("quarantined rows", "uv run silobreak quarantine list   (release / reject them)"),
        ("Data Docs", "uv run silobreak data-docs --serve"),
        ("governance view", f"{stack.lineage_url}/view/  (sign in: uv run silobreak view --show-token)"),
        ("lineage events", f"{stack.lineage_url}/api/v1/events/lineage  (bearer token: {token_file})"),
        ("stop everything", "make down"),
    ]
    _out().print("\n[bold]Where to look next[/bold]")
    for label, where in next_steps:
        _out().print(f"  {label:<17} {where}", soft_wrap=True)


@app.command()
def up(
    airflow: Annotated[bool, typer.Option(help="Also start Airflow (api-server, scheduler, dag-processor).")] = True,
) -> None:
    """Start the embedded stack (Postgres, S3 server, lineage service, Airflow). Safe to run twice."""
    from silobreak.stack import control

    stack = current_stack()
    with console.status("starting") as spinner:
        control.up(stack, airflow=airflow, progress=lambda what: spinner.update(f"starting {what}"))
    _print_status(stack.name)


@app.command()
def migrate() -> None:
    """Bring the warehouse's platform tables to this version of silobreak (up does it too). Safe to run twice."""
    from silobreak import warehouse
    from silobreak.stack.postgres import Postgres

    stack = current_stack()
    if not Postgres(stack).running():
        raise SilobreakError("PostgreSQL of the stack is not running", hint="start it: silobreak up")
    changed = warehouse.migrate(stack)
    console.print(
        f"platform tables migrated to {warehouse.SCHEMA_DIGEST}"
        if changed
        else f"platform tables already at {warehouse.SCHEMA_DIGEST}"
    )


@app.command()
def down() -> None:
    """Stop every service of the stack. Data (Postgres, landed objects) stays on disk."""
    from silobreak.stack import control

    stopped = control.down(current_stack())
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False) -> None:
    """Print what runs where: Postgres DSN, S3 endpoint, Airflow UI, lineage endpoint."""
    if as_json:
        from silobreak.stack import control

        json.dump(control.status(current_stack()), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    _print_status(current_stack().name)


@app.command()
def run(
    feed: Annotated[
        str | None, typer.Argument(help="Feed to run, e.g. public_security__residents; all feeds if omitted.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each DAG run.")] = 1800,
) -> None:
    """Trigger the feeds' DAGs on the stack's Airflow, follow them and the master-data run they cause."""
    from datetime import UTC, datetime

    from silobreak.contracts import get_contract, load_contracts
    from silobreak.dag_factory import MASTER_DAG_ID
    from silobreak.runs import AirflowClient
    from silobreak.summary import feed_summary, resolution_since

    stack = current_stack()
    feeds = [get_contract(feed).feed] if feed else [c.feed for c in load_contracts()]
    airflow = AirflowClient(stack)
    started = datetime.now(UTC).isoformat()
    results = {}
    with console.status("waiting for Airflow to parse the DAGs") as spinner:
        for name in [*feeds, MASTER_DAG_ID]:
            airflow.wait_for_dag(name)
        run_ids = {name: airflow.trigger(name) for name in feeds}
        for name, run_id in run_ids.items():

            def show(tasks: dict[str, str], name: str = name) -> None:
                spinner.update(f"{name}: " + "  ".join(f"{t}={s}" for t, s in tasks.items()))

            results[name] = airflow.wait(name, run_id, timeout=timeout, progress=show)
        spinner.update(f"waiting for {MASTER_DAG_ID}, triggered by the feeds' new rows")
        master = airflow.wait_for_triggered(
            MASTER_DAG_ID,
            started,
            timeout=timeout,
            progress=lambda tasks: spinner.update(
                f"{MASTER_DAG_ID}: " + "  ".join(f"{t}={s}" for t, s in tasks.items())
            ),
        )
    table = Table(title="feed runs")
    for column in ("feed", "run", "batch", "extracted", "valid", "quarantined", "loaded"):
        table.add_column(
            column, justify="right" if column in ("extracted", "valid", "quarantined", "loaded") else "left"
        )
    for name, result in results.items():
        summary = feed_summary(stack, name)
        state = "[green]success" if result.state == "success" else f"[red]{result.state}"
        table.add_row(
            name,
            state,
            str(summary["batch_id"]),
            *(str(summary[k]) for k in ("extracted", "valid", "quarantined", "loaded")),
        )
    out = _out()
    out.print(table)
    for name, result in results.items():
        for task, log in result.failures.items():
            console.print(f"[red]{name}.{task} failed:[/red]\n{log}")
    if master is None:
        console.print(f"[yellow]{MASTER_DAG_ID} was not triggered (no feed loaded new rows)")
    else:
        totals = feed_summary(stack, feeds[0])
        out.print(
            f"{MASTER_DAG_ID}: {'[green]success' if master.state == 'success' else '[red]' + master.state}[/]  "
            f"master persons: {totals['master_persons']}  lineage events stored: {totals['lineage_events']}"
        )
        resolved = resolution_since(stack, datetime.fromisoformat(started))
        if resolved:
            out.print(
                f"entity resolution: {resolved['runs']} run(s), {resolved['full']} of them full; "
                f"{resolved['new']} new, {resolved['changed']} changed, {resolved['gone']} gone person records "
                f"(of {resolved['records']}); {resolved['affected']} re-clustered"
            )
        for task, log in master.failures.items():
            console.print(f"[red]{MASTER_DAG_ID}.{task} failed:[/red]\n{log}")
    failed = [n for n, r in results.items() if r.state != "success"]
    if master is not None and master.state != "success":
        failed.append(MASTER_DAG_ID)
    if failed:
        raise SilobreakError(f"runs failed: {', '.join(failed)}", hint="the task errors are printed above")


def _print_status(name: str) -> None:
    from silobreak.stack import control

    info = control.status(current_stack())
    table = Table(title=f"silobreak stack '{name}'")
    table.add_column("service")
    table.add_column("where", overflow="fold")
    table.add_column("state")
    for key in ("postgres", "s3", "lineage", "departments_api", "airflow"):
        table.add_row(key, info[key], "[green]running" if info["running"][key] else "[red]stopped")
    _out().print(table)
    _out().print(f"governance view: {current_stack().lineage_url}/view/  (`silobreak view` tells how to sign in)")


@app.command()
def view(
    show_token: Annotated[bool, typer.Option("--show-token", help="Print the sign-in token itself.")] = False,
) -> None:
    """Where the governance view is (lineage graph, dataset pages, impact analysis) and how to sign in."""
    stack = current_stack()
    token = stack.credentials.lineage_token if show_token else f"in .silobreak/{stack.name}/credentials.json"
    _out().print(f"governance view    {stack.lineage_url}/view/", soft_wrap=True)
    _out().print(
        f"inside Airflow     {stack.airflow_url}/silobreak-governance/  (menu Browse > Governance)", soft_wrap=True
    )
    _out().print(f"sign-in token      {token}", soft_wrap=True)


app.add_typer(feed_commands.app, name="feed")
app.add_typer(feed_commands.inbox_app, name="inbox")
app.add_typer(agreements_commands.app, name="agreements")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(review.app, name="review")
app.command()(governance.quality)
app.command("data-docs")(governance.data_docs)
app.add_typer(quarantine_commands.app, name="quarantine")
app.command()(governance.lineage)


def main() -> None:
    """Entry point: print SilobreakError as a message and a hint, never a traceback."""
    try:
        app()
    except SilobreakError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        if exc.hint:
            console.print(f"[yellow]hint:[/yellow] {exc.hint}")
        sys.exit(1)
