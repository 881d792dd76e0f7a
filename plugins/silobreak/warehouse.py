"""The platform's own tables in the warehouse: batch ledger and quarantined rows."""

from __future__ import annotations

from typing import Any

import psycopg

from silobreak.settings import WAREHOUSE_DB, Stack

PLATFORM_SCHEMA = "silobreak"

DDL = """
create schema if not exists silobreak;

create table if not exists silobreak.batches (
    feed               text not null,
    batch_id           text not null,
    sha256             text not null,
    row_count          integer not null,
    valid_count        integer,
    quarantined_count  integer,
    status             text not null check (status in ('landed', 'validated', 'rejected', 'loaded')),
    reasons            jsonb not null default '[]',
    landed_at          timestamptz not null default now(),
    validated_at       timestamptz,
    loaded_at          timestamptz,
    primary key (feed, batch_id)
);
comment on table silobreak.batches is 'Every landed batch of every feed and what became of it.';
alter table silobreak.batches add column if not exists watermark text;
alter table silobreak.batches add column if not exists source_name text;
comment on column silobreak.batches.watermark is
    'Highest value of the feed''s incremental column in the batch: the next extraction starts after it.';
comment on column silobreak.batches.source_name is 'The object, table or API path the batch was taken from.';

create table if not exists silobreak.quarantined_rows (
    feed            text not null,
    batch_id        text not null,
    row_number      integer not null,
    record          jsonb not null,
    reasons         text[] not null,
    quarantined_at  timestamptz not null default now(),
    primary key (feed, batch_id, row_number)
);
comment on table silobreak.quarantined_rows is
    'Rows held back from master data, with every check each one failed; never deleted by the pipeline.';
"""


def connect(stack: Stack, **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(stack.dsn(WAREHOUSE_DB), **kwargs)


def ensure_platform_schema(conn: psycopg.Connection[Any]) -> None:
    # serialise concurrent first runs: CREATE ... IF NOT EXISTS alone can still race
    conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.platform_schema'))")
    conn.execute(DDL)
