"""``silobreak feed``: onboard department feeds (scaffold, check, list) and drop files into an inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from silobreak.errors import SilobreakError
from silobreak.settings import REPO_ROOT, SOURCES_DB, current_stack
from silobreak.terminal import stderr, stdout

app = typer.Typer(help="Onboard department feeds: scaffold contracts from samples, check them, list them.")
inbox_app = typer.Typer(help="The departments' inbox bucket (where they drop files).")
console = stderr()


@app.command("new")
def new(
    department: Annotated[str, typer.Argument(help="Department id, lower case (e.g. housing).")],
    entity: Annotated[str, typer.Argument(help="What one record is, plural (e.g. rental_contracts).")],
    sample: Annotated[
        str,
        typer.Option(
            "--sample",
            help="A sample: a local file (.csv/.jsonl/.xlsx), an inbox object (s3://inbox/dept/entity/file.csv) "
            "or a table of the departments' database (postgres:schema.table).",
        ),
    ],
    owner: Annotated[str, typer.Option(help="Who answers for the feed at the department.")] = "TODO: owner",
    email: Annotated[str, typer.Option(help="Their e-mail address.")] = "todo@example.gov.cn",
    force: Annotated[bool, typer.Option(help="Replace existing files of this feed.")] = False,
) -> None:
    """Scaffold a feed from a sample: contract, expectation suite and dbt staging model.

    Infers the encoding (UTF-8, GBK, GB18030, with or without BOM), the delimiter, column types,
    identifiers (resident ID, credit code, mobile) and their sensitivity. Review the files it
    writes before the first run: `silobreak feed check` validates them.
    """
    from silobreak import onboarding

    if sample.startswith("postgres:"):
        source_table = sample.removeprefix("postgres:")
        guess = onboarding.infer_from_table(current_stack().dsn(SOURCES_DB), source_table)
        source = {"kind": "postgres", "database": SOURCES_DB, "table": source_table}
    else:
        data, name = _read_sample(sample)
        guess = onboarding.infer(data, name)
        source = {
            "kind": "file_drop",
            "prefix": f"{department}/{entity}/",
            "pattern": f"*{Path(name).suffix.lower()}",
            "format": guess.format,
        }
        if guess.format == "csv":
            source |= {"encoding": guess.encoding, "delimiter": guess.delimiter}
    written = onboarding.scaffold(department, entity, guess, source, owner=owner, email=email, force=force)
    table = Table(title=f"feed {department}__{entity}: inferred from {sample}")
    for column in ("column", "type", "sensitivity", "maps to", "check"):
        table.add_column(column)
    for c in guess.columns:
        marker = " (key)" if c.name == guess.key else ""
        table.add_row(c.name + marker, c.type, c.sensitivity, c.maps_to or "", c.check or "")
    stdout().print(table)
    if guess.format != "postgres":
        stdout().print(f"format {guess.format}, encoding {guess.encoding}, delimiter {guess.delimiter!r}")
    for path in written:
        stdout().print(f"wrote {path.relative_to(REPO_ROOT)}")
    stdout().print(
        "next: review the contract, then `silobreak feed check` and `silobreak run " + f"{department}__{entity}`"
    )


def _read_sample(sample: str) -> tuple[bytes, str]:
    if sample.startswith("s3://"):
        from silobreak.pipeline.landing import get_bytes
        from silobreak.stack.s3 import client

        bucket, _, key = sample.removeprefix("s3://").partition("/")
        return get_bytes(client(current_stack()), bucket, key), key
    path = Path(sample)
    if not path.is_file():
        raise SilobreakError(
            f"sample {sample} is not a file", hint="give a path, s3://inbox/... or postgres:schema.table"
        )
    return path.read_bytes(), path.name


@app.command("check")
def check() -> None:
    """Check every contract, its suite and its staging model; exit 1 naming each problem."""
    from silobreak import onboarding
    from silobreak.contracts import load_contracts

    problems = onboarding.check_all()
    if problems:
        for problem in problems:
            console.print(f"[red]✗[/red] {problem}")
        raise SilobreakError(
            f"{len(problems)} problem(s) in the feeds", hint="fix them and run `silobreak feed check` again"
        )
    stdout().print(
        f"[green]✓[/green] {len(load_contracts())} feed contracts, their suites and staging models are valid"
    )


@app.command("sync")
def sync() -> None:
    """Regenerate the dbt models derived from all contracts (the union of person records)."""
    from silobreak import onboarding

    for path in onboarding.sync_generated():
        stdout().print(f"wrote {path.relative_to(REPO_ROOT)}")


@app.command("list")
def list_feeds() -> None:
    """List the feeds: department, entity, source kind, schedule, sharing type."""
    from silobreak.contracts import load_contracts

    table = Table(title="feeds")
    for column in ("feed", "source", "schedule", "sharing", "columns"):
        table.add_column(column)
    for c in load_contracts():
        table.add_row(c.feed, c.source.kind, str(c.schedule), c.sharing, str(len(c.columns)))
    stdout().print(table)


@inbox_app.command("drop")
def drop(
    file: Annotated[Path, typer.Argument(help="The file the department sends.", exists=True, dir_okay=False)],
    folder: Annotated[str, typer.Argument(help="Its folder in the inbox, e.g. housing/rental_contracts/")],
    supersedes: Annotated[
        str | None,
        typer.Option(help="For a corrected file: the batch id (or inbox object) it replaces (see silobreak quality)."),
    ] = None,
) -> None:
    """Put a file into the inbox bucket as the department would (write-once: never overwrites)."""
    from silobreak.pipeline.landing import SUPERSEDES_METADATA, put_once
    from silobreak.settings import INBOX_BUCKET
    from silobreak.stack.s3 import client

    key = f"{folder.strip('/')}/{file.name}"
    metadata = {SUPERSEDES_METADATA: supersedes} if supersedes else None
    if not put_once(
        client(current_stack()), INBOX_BUCKET, key, file.read_bytes(), "application/octet-stream", metadata
    ):
        raise SilobreakError(f"s3://{INBOX_BUCKET}/{key} already exists", hint="give the new file a new name")
    stdout().print(f"dropped s3://{INBOX_BUCKET}/{key}" + (f" (supersedes {supersedes})" if supersedes else ""))
