"""Load a validated batch into ``raw_<department>.<entity>``, leaving out the rows validation held back.

The load replaces whatever an earlier run of the same batch wrote, in one transaction, so a rerun
gives the same table and a reader never sees half a batch. (Held rows are in quarantine already:
validation put them there.)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from silobreak.contracts import FeedContract
from silobreak.warehouse import ensure_platform_schema


def ensure_raw_table(conn: psycopg.Connection[Any], contract: FeedContract) -> None:
    """Raw tables keep the department's values as text, exactly as landed; staging casts them.
    Columns the contract gained since the table was made are added (never dropped). Only what is
    missing is altered: an ALTER locks the table against every reader until the load commits."""
    schema, table = sql.Identifier(contract.raw_schema), sql.Identifier(contract.raw_table)
    existing = {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
            (contract.raw_schema, contract.raw_table),
        ).fetchall()
    }
    if not existing:
        cols = [sql.SQL("{} text").format(sql.Identifier(c)) for c in contract.column_names]
        conn.execute(sql.SQL("create schema if not exists {}").format(schema))
        conn.execute(
            sql.SQL(
                "create table if not exists {}.{} ({}, _batch_id text not null, _row_number integer not null, "
                "_loaded_at timestamptz not null default now(), primary key (_batch_id, _row_number))"
            ).format(schema, table, sql.SQL(", ").join(cols))
        )
    for column in contract.column_names:
        if column not in existing:
            conn.execute(
                sql.SQL("alter table {}.{} add column if not exists {} text").format(
                    schema, table, sql.Identifier(column)
                )
            )


def load_batch(
    conn: psycopg.Connection[Any],
    contract: FeedContract,
    batch_id: str,
    frames: Iterable[pd.DataFrame],
    held: Collection[int],
) -> int:
    """Write every row but the held ones to raw, chunk by chunk; returns how many. Each frame's
    index is the rows' position in the batch (as :func:`silobreak.pipeline.chunks.iter_frames` gives)."""
    raw = sql.SQL("{}.{}").format(sql.Identifier(contract.raw_schema), sql.Identifier(contract.raw_table))
    columns = [*contract.column_names, "_batch_id", "_row_number"]
    loaded = 0
    with conn.transaction():
        ensure_platform_schema(conn)
        ensure_raw_table(conn, contract)
        conn.execute(sql.SQL("delete from {} where _batch_id = %s").format(raw), (batch_id,))
        copy_sql = sql.SQL("copy {} ({}) from stdin").format(raw, sql.SQL(", ").join(map(sql.Identifier, columns)))
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for frame in frames:
                values = frame.reindex(columns=contract.column_names)
                for number, row in zip(frame.index, values.itertuples(index=False, name=None), strict=True):
                    if number not in held:
                        copy.write_row([*row, batch_id, int(number)])
                        loaded += 1
        conn.execute(
            "update silobreak.batches set status = 'loaded', loaded_at = clock_timestamp() "
            "where feed = %s and batch_id = %s",
            (contract.feed, batch_id),
        )
    return loaded


def insert_rows(
    conn: psycopg.Connection[Any], contract: FeedContract, batch_id: str, records: Mapping[int, Mapping[str, Any]]
) -> int:
    """Add rows of a batch to raw (a governance release); rows already there are left alone."""
    raw = sql.SQL("{}.{}").format(sql.Identifier(contract.raw_schema), sql.Identifier(contract.raw_table))
    names = contract.column_names
    columns = sql.SQL(", ").join(map(sql.Identifier, [*names, "_batch_id", "_row_number"]))
    placeholders = sql.SQL(", ").join(sql.Placeholder() * (len(names) + 2))
    statement = sql.SQL("insert into {} ({}) values ({}) on conflict (_batch_id, _row_number) do nothing").format(
        raw, columns, placeholders
    )
    ensure_raw_table(conn, contract)
    with conn.cursor() as cur:
        cur.executemany(
            statement,
            [[_as_text(record.get(c)) for c in names] + [batch_id, n] for n, record in records.items()],
        )
        return cur.rowcount if cur.rowcount >= 0 else len(records)


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)
