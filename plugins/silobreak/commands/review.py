"""``silobreak review``: governance decides the record pairs entity resolution was unsure of.

A pair scored between the two thresholds waits in ``resolution.person_review``; ``accept`` says
the two records are one person, ``reject`` that they are not. Decisions hold on every later run
of master_data (the next run applies them; ``silobreak review resolve`` applies them now).
"""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer
from rich.table import Table

from silobreak.errors import SilobreakError
from silobreak.settings import current_stack
from silobreak.terminal import stderr, stdout

app = typer.Typer(help="Review the person pairs entity resolution was unsure of.", no_args_is_help=True)

PAIR_HELP = "A record key as `review list` shows it: feed|record|role."


def _describe(conn: Any, key: str) -> str:
    feed, record, role = [*key.split("|"), "", ""][:3]
    row = conn.execute(
        "select person_name, resident_id, birth_date, mobile from intermediate.int_persons__unioned "
        "where source_feed = %s and source_record = %s and source_role = %s",
        (feed, record, role),
    ).fetchone()
    return " ".join(str(v) for v in row if v is not None) if row else "(record no longer delivered)"


@app.command("list")
def list_pairs(
    status: Annotated[str, typer.Option(help="pending, accepted, rejected or withdrawn.")] = "pending",
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Show queued pairs with what each record says (name, resident ID, birth date, mobile)."""
    from silobreak.resolution.store import ensure_schema
    from silobreak.warehouse import connect

    with connect(current_stack()) as conn:
        with conn.transaction():
            ensure_schema(conn)
        rows = conn.execute(
            "select record_l, record_r, match_probability, decided_by, note from resolution.person_review "
            "where status = %s order by match_probability desc, record_l, record_r limit %s",
            (status, limit),
        ).fetchall()
        table = Table(title=f"person pairs: {status}")
        for column in ("record", "says", "other record", "says", "p", "by", "note"):
            table.add_column(column)
        for left, right, p, by, note in rows:
            table.add_row(left, _describe(conn, left), right, _describe(conn, right), f"{p:.3f}", by or "", note or "")
    stdout().print(table if rows else f"no {status} pairs")


def _decide(record_l: str, record_r: str, *, accept: bool, note: str | None) -> None:
    from silobreak.resolution.store import decide, ensure_schema
    from silobreak.warehouse import connect

    with connect(current_stack()) as conn, conn.transaction():
        ensure_schema(conn)
        if not decide(conn, record_l, record_r, accept=accept, by=getpass.getuser(), note=note):
            raise SilobreakError(
                f"no queued pair {record_l} / {record_r}",
                hint="`silobreak review list` shows the queued pairs and their record keys",
            )
    verb = "accepted: one person" if accept else "rejected: two persons"
    stdout().print(f"{verb}; applied by the next master_data run (or `silobreak review resolve`)")


@app.command()
def accept(
    record_l: Annotated[str, typer.Argument(help=PAIR_HELP)],
    record_r: Annotated[str, typer.Argument(help=PAIR_HELP)],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """The two records are the same person."""
    _decide(record_l, record_r, accept=True, note=note)


@app.command()
def reject(
    record_l: Annotated[str, typer.Argument(help=PAIR_HELP)],
    record_r: Annotated[str, typer.Argument(help=PAIR_HELP)],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """The two records are different persons; they stay apart on every later run."""
    _decide(record_l, record_r, accept=False, note=note)


@app.command()
def resolve(
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Score every record again with a newly trained model and rebuild the registers from scratch "
            "(after changing the matcher, the thresholds or the survivorship rules).",
        ),
    ] = False,
) -> None:
    """Run entity resolution now and update the registers (master_data does it after every load).

    Only the records that changed since the last run, and the persons they touch, are done again."""
    from silobreak.pipeline.transform import build_registers
    from silobreak.resolution.run import resolve_persons

    stack = current_stack()
    with stderr().status("resolving person records ..."):
        stats = resolve_persons(stack, full=full)
    stdout().print(
        f"{stats['mode']} run: {stats['new']} new, {stats['changed']} changed, {stats['gone']} gone of "
        f"{stats['records']} person records; {stats['affected']} re-clustered -> {stats['master_persons']} master "
        f"persons; {stats.get('review_pending', 0)} pairs pending review; {stats['events']} merges/splits"
    )
    with stderr().status("building the registers ..."):
        build_registers(stack=stack, full=full)
    stdout().print(f"registers updated ({'rebuilt' if full else 'incrementally'})")
