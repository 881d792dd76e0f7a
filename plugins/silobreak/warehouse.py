"""The platform's own tables in the warehouse: batch ledger, validation results, quarantined rows and
the decisions governance took on them.

Their DDL runs once per stack and version of silobreak, by :func:`migrate` (``silobreak up`` and
``silobreak migrate``), which records a digest of the DDL in ``silobreak.schema_version``. A
pipeline step or command only reads that digest (:func:`ensure_platform_schema`) and stops, naming
the command to run, when the tables are not the ones this code expects (see ADR 0014).
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg

from silobreak.errors import SilobreakError
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

-- a batch is superseded when the department sends a corrected one (or a newer snapshot is loaded)
alter table silobreak.batches add column if not exists superseded_by text;
alter table silobreak.batches add column if not exists supersedes text;
alter table silobreak.batches add column if not exists warnings jsonb not null default '[]';
comment on column silobreak.batches.warnings is
    'Findings that did not stop the batch: checks of severity warning, row counts outside the usual volume.';
do $$
begin
    if not exists (
        select from pg_constraint
        where conname = 'batches_status_check' and pg_get_constraintdef(oid) like '%superseded%'
    ) then
        alter table silobreak.batches drop constraint if exists batches_status_check;
        alter table silobreak.batches add constraint batches_status_check
            check (status in ('landed', 'validated', 'rejected', 'loaded', 'superseded'));
    end if;
end $$;

create table if not exists silobreak.validation_results (
    feed              text not null,
    batch_id          text not null,
    check_name        text not null,
    expectation_type  text not null,
    column_name       text,
    severity          text not null,
    success           boolean not null,
    element_count     bigint,
    unexpected_count  bigint,
    observed_value    jsonb,
    validated_at      timestamptz not null default now(),
    primary key (feed, batch_id, check_name)
);
comment on table silobreak.validation_results is
    'One row per expectation per validated batch: the quality history of every dataset.';

create table if not exists silobreak.quarantine_decisions (
    feed          text not null,
    batch_id      text not null,
    row_number    integer not null,
    decision      text not null check (decision in ('released', 'rejected', 'superseded')),
    reason        text not null,
    decided_by    text not null,
    decided_at    timestamptz not null default now(),
    primary key (feed, batch_id, row_number)
);
comment on table silobreak.quarantine_decisions is
    'What became of a quarantined row: released into raw, rejected for good, or superseded by a '
    'corrected batch. One decision per row, never changed.';

create or replace view silobreak.quarantine as
select q.feed, q.batch_id, q.row_number, q.record, q.reasons, q.quarantined_at,
       coalesce(d.decision, 'held') as status, d.reason as decision_reason, d.decided_by, d.decided_at
from silobreak.quarantined_rows q
left join silobreak.quarantine_decisions d using (feed, batch_id, row_number);
comment on view silobreak.quarantine is 'Quarantined rows with their status: held, released, rejected or superseded.';

create or replace view silobreak.quality_history as
select b.feed, b.batch_id, b.landed_at, b.validated_at, b.status, b.row_count, b.valid_count,
       b.quarantined_count,
       case when b.row_count > 0 then round(b.quarantined_count::numeric / b.row_count, 4) end as invalid_share,
       count(r.*) filter (where not r.success and r.severity = 'critical') as failed_checks,
       count(r.*) filter (where not r.success and r.severity <> 'critical') as warned_checks,
       count(r.*) as checks, b.reasons, b.warnings
from silobreak.batches b
left join silobreak.validation_results r using (feed, batch_id)
group by b.feed, b.batch_id;
comment on view silobreak.quality_history is 'Per dataset and batch: rows, quarantined share and checks failed.';

create table if not exists silobreak.schema_version (
    singleton    boolean primary key default true check (singleton),
    digest       text not null,
    migrated_at  timestamptz not null default now()
);
comment on table silobreak.schema_version is
    'Digest of the platform DDL last applied (silobreak migrate): steps check it instead of running DDL.';
"""

#: Changes whenever :data:`DDL` does, so a stack migrated by an older silobreak is told apart.
SCHEMA_DIGEST = hashlib.sha256(DDL.encode()).hexdigest()[:16]


def connect(stack: Stack, **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(stack.dsn(WAREHOUSE_DB), **kwargs)


def migrate(stack: Stack) -> bool:
    """Bring the platform tables to this version of silobreak; returns whether DDL ran (False when
    they already were). Idempotent and safe to run concurrently."""
    with connect(stack) as conn, conn.transaction():
        # serialise concurrent migrations: CREATE ... IF NOT EXISTS alone can still race
        conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.platform_schema'))")
        if _applied_digest(conn) == SCHEMA_DIGEST:
            return False
        conn.execute(DDL)
        conn.execute(
            "insert into silobreak.schema_version (digest) values (%s) "
            "on conflict (singleton) do update set digest = excluded.digest, migrated_at = now()",
            (SCHEMA_DIGEST,),
        )
    return True


def ensure_platform_schema(conn: psycopg.Connection[Any]) -> None:
    """Stop with the command to run unless the platform tables are those of this version of
    silobreak: two catalog-cheap reads, no DDL and no lock, so every step may call it."""
    applied = _applied_digest(conn)
    if applied == SCHEMA_DIGEST:
        return
    found = (
        "have not been created (or predate schema_version)"
        if applied is None
        else f"were made by another version of silobreak (DDL digest {applied}, this one is {SCHEMA_DIGEST})"
    )
    raise SilobreakError(
        f"the warehouse's platform tables (schema {PLATFORM_SCHEMA}) {found}",
        hint="migrate them: silobreak migrate (silobreak up does it too)",
    )


def _applied_digest(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute("select to_regclass('silobreak.schema_version') is not null").fetchone()
    if not row or not row[0]:
        return None
    row = conn.execute("select digest from silobreak.schema_version").fetchone()
    return str(row[0]) if row else None
