"""Load a validated batch into ``raw_<department>.<entity>`` and its invalid rows into quarantine.

Both happen in one transaction, replacing whatever an earlier run of the same batch wrote, so a
rerun gives the same tables and a reader never sees half a batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from silobreak.contracts import FeedContract
from silobreak.warehouse import ensure_platform_schema


def ensure_raw_table(conn: psycopg.Connection[Any], contract: FeedContract) -> None:
    """Raw tables keep the department's values as text, exactly as landed; staging casts them.
    Columns the contract gained since the table was made are added (never dropped)."""
    schema, table = sql.Identifier(contract.raw_schema), sql.Identifier(contract.raw_table)
    cols = [sql.SQL("{} text").format(sql.Identifier(c)) for c in contract.column_names]
    conn.execute(sql.SQL("create schema if not exists {}").format(schema))
    conn.execute(
        sql.SQL(
            "create table if not exists {}.{} ({}, _batch_id text not null, _row_number integer not null, "
            "_loaded_at timestamptz not null default now(), primary key (_batch_id, _row_number))"
        ).format(schema, table, sql.SQL(", ").join(cols))
    )
    for column in contract.column_names:
        conn.execute(
            sql.SQL("alter table {}.{} add column if not exists {} text").format(schema, table, sql.Identifier(column))
        )


def load_batch(
    conn: psycopg.Connection[Any],
    contract: FeedContract,
    batch_id: str,
    frame: pd.DataFrame,
    quarantined: Mapping[int, tuple[dict[str, Any], Sequence[str]]],
) -> tuple[int, int]:
    """Write valid rows to raw and quarantined rows to quarantine; returns (loaded, quarantined)."""
    raw = sql.SQL("{}.{}").format(sql.Identifier(contract.raw_schema), sql.Identifier(contract.raw_table))
    columns = [*contract.column_names, "_batch_id", "_row_number"]
    loaded = 0
    with conn.transaction():
        ensure_platform_schema(conn)
        ensure_raw_table(conn, contract)
        conn.execute(sql.SQL("delete from {} where _batch_id = %s").format(raw), (batch_id,))
        conn.execute(
            "delete from silobreak.quarantined_rows where feed = %s and batch_id = %s", (contract.feed, batch_id)
        )
        copy_sql = sql.SQL("copy {} ({}) from stdin").format(raw, sql.SQL(", ").join(map(sql.Identifier, columns)))
        values = frame.reindex(columns=contract.column_names)
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for number, row in enumerate(values.itertuples(index=False, name=None)):
                if number not in quarantined:
                    copy.write_row([*row, batch_id, number])
                    loaded += 1
        with conn.cursor() as cur:
            cur.executemany(
                "insert into silobreak.quarantined_rows (feed, batch_id, row_number, record, reasons) "
                "values (%s, %s, %s, %s, %s)",
                [(contract.feed, batch_id, n, Jsonb(rec), list(reasons)) for n, (rec, reasons) in quarantined.items()],
            )
        conn.execute(
            "update silobreak.batches set status = 'loaded', loaded_at = clock_timestamp() "
            "where feed = %s and batch_id = %s",
            (contract.feed, batch_id),
        )
    return loaded, len(quarantined)
