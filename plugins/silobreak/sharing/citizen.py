"""The citizen's view (after Estonia's Data Tracker): which departments read my shared records, when, why.

A read is recorded per statement and dataset, with the rows the agreement let the department see
(its row filter). A person's record was among the rows read when it is in the dataset and passes
that filter; a statement with its own WHERE clause may have read fewer rows, so the view errs on
the side of telling the resident too much rather than too little.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from silobreak.errors import SilobreakError
from silobreak.identifiers import normalise_credit_code, normalise_resident_id
from silobreak.sharing.audit import ensure_audit_schema

KEY_COLUMNS = {"resident_id": "resident ID", "credit_code": "unified social credit code"}


@dataclass(frozen=True)
class Read:
    at: datetime
    department: str
    dataset: str
    purpose: str
    agreement: str
    columns: list[dict[str, str]]


def key_of(identifier: str) -> tuple[str, str]:
    """Which key column the identifier is for, and its normal form."""
    resident = normalise_resident_id(identifier)
    if resident and len(resident) == 18 and resident[:17].isdigit():
        return "resident_id", resident
    credit = normalise_credit_code(identifier)
    if credit and len(credit) == 18:
        return "credit_code", credit
    raise SilobreakError(
        f"{identifier!r} is neither a resident ID nor a unified social credit code",
        hint="give the 18-character resident ID (GB 11643) or credit code (GB 32100)",
    )


def _passes(row_filter: dict[str, Any] | None, row: dict[str, Any]) -> bool:
    if not row_filter:
        return True
    value = row.get(row_filter["column"])
    if value is None:
        return False
    if "in" in row_filter:
        return str(value) in {str(v) for v in row_filter["in"]}
    return any(str(value).startswith(p) for p in row_filter.get("starts_with", []))


def who_read(conn: psycopg.Connection[Any], identifier: str) -> list[Read]:
    """Every recorded read, under an agreement, of a dataset holding this person's or enterprise's record."""
    column, value = key_of(identifier)
    ensure_audit_schema(conn)
    tables = [
        r[0]
        for r in conn.execute(
            "select table_name from information_schema.columns where table_schema = 'master' and column_name = %s",
            (column,),
        )
    ]
    reads: list[Read] = []
    for table in sorted(tables):
        with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            cur.execute(
                sql.SQL("select * from master.{} where {} = %s").format(sql.Identifier(table), sql.Identifier(column)),
                (value,),
            )
            records = cur.fetchall()
        if not records:
            continue
        for at, department, purpose, detail in conn.execute(
            "select at, department, purpose, detail from audit.log "
            "where action = 'read' and dataset = %s and purpose is not null order by seq",
            (table,),
        ):
            info = json.loads(detail)
            if info.get("failed"):
                continue
            if any(_passes(info.get("row_filter"), record) for record in records):
                reads.append(Read(at, department, table, purpose, info.get("agreement", ""), info.get("columns", [])))
    return reads
