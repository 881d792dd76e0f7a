"""Each consuming department's data dictionary and connection recipe, generated from its agreements.

The dictionary lists exactly the department's shared tables: every column with its meaning,
sensitivity and how it is shared (clear, masked, pseudonym), the freshness the agreement promises
and the data's current age, and the quality of the feeds that supply it. The recipe says how to
connect (psql, Python, an Airflow DAG scheduled on the shared Asset).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

from silobreak.settings import WAREHOUSE_DB, Stack
from silobreak.sharing.apply import login_role, shared_schema
from silobreak.sharing.catalog import Dataset
from silobreak.sharing.freshness import feeds_of
from silobreak.sharing.model import AgreementFile
from silobreak.sharing.policy import grants

ACCESS = {
    "clear": "as recorded",
    "masked": "masked (ID 440306********101X, mobile 138****1234, name 张**, date: year only)",
    "pseudonym": "keyed pseudonym (HMAC-SHA256): joins across your tables, reveals nothing",
}


def _quality(conn: psycopg.Connection[Any], dataset: str) -> list[str]:
    rows = conn.execute(
        "select feed, count(*), sum(row_count), sum(quarantined_count), max(loaded_at) from silobreak.batches "
        "where status = 'loaded' and feed = any(%s) group by feed order by feed",
        (feeds_of(dataset),),
    ).fetchall()
    return [
        f"| {feed} | {batches} | {rows_:,} | {held or 0:,} ({(held or 0) / rows_:.1%}) | {loaded:%Y-%m-%d %H:%M} UTC |"
        for feed, batches, rows_, held, loaded in rows
        if rows_
    ]


def data_dictionary(
    conn: psycopg.Connection[Any], department: str, files: list[AgreementFile], catalog: dict[str, Dataset], today: date
) -> str:
    mine = [f for f in files if f.agreement.consumer == department and f.agreement.active(today)]
    lines = [
        f"# Data dictionary of {department}",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from the agreements in force on {today}. "
        f"Your tables are in schema `{shared_schema(department)}` of database `{WAREHOUSE_DB}`; nothing else "
        "is readable, and every statement you run is recorded with the agreement's purpose.",
        "",
    ]
    if not mine:
        lines.append("No agreement is in force: nothing is shared with this department.")
    for file in mine:
        a = file.agreement
        dataset = catalog[a.dataset]
        rows = "all rows"
        if a.row_filter:
            values = ", ".join(map(str, a.row_filter.in_ or a.row_filter.starts_with or []))
            rows = f"rows whose `{a.row_filter.column}` {'is one of' if a.row_filter.in_ else 'starts with'} {values}"
        lines += [
            f"## `{shared_schema(department)}.{a.dataset}`",
            "",
            dataset.description,
            "",
            f"- Agreement: `agreements/{file.path.name}`, {a.start} to {a.end}",
            f"- Purpose: {' '.join(a.purpose.split())}",
            f"- Legal basis: {a.legal_basis.kind}: {a.legal_basis.reference}",
            f"- Rows: {rows}",
            f"- Freshness relied on: at most {a.freshness.max_age_hours} hours old"
            if a.freshness
            else "- Freshness: none agreed",
            f"- Airflow Asset: `warehouse.{shared_schema(department)}.{a.dataset}`",
            "",
            "| column | meaning | sensitivity | shared as |",
            "| --- | --- | --- | --- |",
        ]
        for grant in grants(file, dataset):
            c = grant.column
            name = f"{c.name}_pseudonym" if grant.access == "pseudonym" else c.name
            lines.append(f"| `{name}` | {c.description or '-'} | {c.level}, {c.grading} | {ACCESS[grant.access]} |")
        quality = _quality(conn, a.dataset)
        if quality:
            lines += ["", "Quality of the feeds that supply it (loaded batches):", "",
                      "| feed | batches | rows | quarantined | last loaded |", "| --- | --- | --- | --- | --- |",
                      *quality]  # fmt: skip
        lines.append("")
    return "\n".join(lines)


def connection_recipe(stack: Stack, department: str, files: list[AgreementFile], today: date) -> str:
    mine = [f.agreement for f in files if f.agreement.consumer == department and f.agreement.active(today)]
    table = f"{shared_schema(department)}.{mine[0].dataset}" if mine else f"{shared_schema(department)}.<dataset>"
    asset = f"warehouse.{table}"
    return f"""# Connecting as {department}

Login: `{login_role(department)}` (its password comes from the platform team:
`silobreak agreements recipe {department} --password`). Host `{stack.host}`, port `{stack.port("postgres")}`,
database `{WAREHOUSE_DB}`. The login's search path is `{shared_schema(department)}`, so table names need no schema.

```bash
psql "host={stack.host} port={stack.port("postgres")} dbname={WAREHOUSE_DB} user={login_role(department)}" \\
     -c "select * from {table} limit 10"
```

```python
import psycopg
with psycopg.connect(host="{stack.host}", port={stack.port("postgres")}, dbname="{WAREHOUSE_DB}",
                     user="{login_role(department)}", password=PASSWORD) as conn:
    rows = conn.execute("select * from {table}").fetchall()
```

Run your own Airflow DAG whenever the shared table is refreshed:

```python
from airflow.sdk import Asset, dag

@dag(schedule=[Asset("{asset}")])
def my_{department}_job(): ...
```
"""  # noqa: S608 - a how-to for people, never executed


def write_department_docs(
    stack: Stack, conn: psycopg.Connection[Any], files: list[AgreementFile], catalog: dict[str, Dataset],
    today: date, out: Path,
) -> list[Path]:  # fmt: skip
    """Write ``<out>/<department>/data-dictionary.md`` and ``connection.md`` for every consuming department."""
    written = []
    for department in sorted({f.agreement.consumer for f in files}):
        folder = out / department
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data-dictionary.md").write_text(data_dictionary(conn, department, files, catalog, today))
        (folder / "connection.md").write_text(connection_recipe(stack, department, files, today))
        written += [folder / "data-dictionary.md", folder / "connection.md"]
    return written


def dbt_exposures(files: list[AgreementFile], today: date) -> str:
    """dbt exposures, one per agreement in force: the consuming department depends on the register, so
    ``dbt docs`` and ``dbt ls --select +exposure:<name>`` show who consumes what."""
    import yaml

    exposures = [
        {
            "name": f.agreement.id,
            "label": f"{f.agreement.consumer} reads {f.agreement.dataset}",
            "type": "application",
            "maturity": "high",
            "description": " ".join(f.agreement.purpose.split()),
            "owner": {"name": f.agreement.consumer},
            "depends_on": [f"ref('{f.agreement.dataset}')"],
            "config": {
                "meta": {
                    "agreement": f"agreements/{f.path.name}",
                    "ends": str(f.agreement.end),
                    "view": f"{shared_schema(f.agreement.consumer)}.{f.agreement.dataset}",
                }
            },
        }
        for f in files
        if f.agreement.active(today)
    ]
    header = "# Generated by `silobreak agreements exposures` from agreements/: do not edit here.\n"
    return header + yaml.safe_dump({"version": 2, "exposures": exposures}, allow_unicode=True, sort_keys=False)
