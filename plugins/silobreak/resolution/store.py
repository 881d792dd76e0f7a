"""The resolution schema in the warehouse: cross-reference, review queue, id events, runs.

Nothing here is ever deleted by the pipeline: a source record that is no longer delivered keeps
its xref row with status ``retired``; a review pair the model no longer proposes is ``withdrawn``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import psycopg

from silobreak.resolution.clusters import Pair

SCHEMA = "resolution"
PERSON_RECORDS = ("intermediate", "int_persons__unioned")

DDL = """
create schema if not exists resolution;

create table if not exists resolution.person_xref (
    source_feed        text not null,
    source_record      text not null,
    source_role        text not null default '',
    source_department  text not null,
    source_batch       text,
    master_person_id   uuid not null,
    status             text not null check (status in ('active', 'retired')),
    match_method       text not null,
    match_probability  double precision,
    reason             text not null,
    first_seen         timestamptz not null,
    last_seen          timestamptz not null,
    run_id             text not null,
    primary key (source_feed, source_record, source_role)
);
comment on table resolution.person_xref is
    'Every departmental person record and the master person it resolves to; never deleted.';
create index if not exists person_xref_master on resolution.person_xref (master_person_id);

create table if not exists resolution.person_review (
    record_l           text not null,
    record_r           text not null,
    match_probability  double precision not null,
    status             text not null default 'pending'
                       check (status in ('pending', 'accepted', 'rejected', 'withdrawn')),
    first_queued       timestamptz not null,
    last_queued        timestamptz not null,
    decided_by         text,
    decided_at         timestamptz,
    note               text,
    primary key (record_l, record_r)
);
comment on table resolution.person_review is
    'Record pairs between the two thresholds: governance accepts (same person) or rejects them; '
    'decisions hold on every later run.';

create table if not exists resolution.person_id_events (
    event_id                bigserial primary key,
    run_id                  text not null,
    happened_at             timestamptz not null,
    kind                    text not null check (kind in ('merge', 'split')),
    master_person_id        uuid not null,
    other_master_person_id  uuid not null,
    detail                  text not null
);
comment on table resolution.person_id_events is 'Merges and splits of master persons, run by run.';

create table if not exists resolution.runs (
    run_id       text primary key,
    started_at   timestamptz not null,
    finished_at  timestamptz not null,
    stats        jsonb not null
);
"""


def ensure_schema(conn: psycopg.Connection[Any]) -> None:
    conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.resolution_schema'))")
    conn.execute(DDL)


def read_person_records(conn: psycopg.Connection[Any]) -> pd.DataFrame:
    """The person records of every feed (the intermediate model), in a stable order."""
    from silobreak.resolution.features import RECORD_COLUMNS

    schema, table = PERSON_RECORDS
    cols = ", ".join(RECORD_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(
            f"select {cols} from {schema}.{table} order by source_feed, source_record, source_role"  # noqa: S608
        )
        rows = cur.fetchall()
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS), dtype=object)


def previous_ids(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Record key -> master id of the last run (active and retired records)."""
    rows = conn.execute(
        "select source_feed || '|' || source_record || '|' || source_role, master_person_id::text "
        "from resolution.person_xref"
    ).fetchall()
    return dict(rows)  # type: ignore[arg-type]


def decisions(conn: psycopg.Connection[Any]) -> dict[Pair, bool]:
    rows = conn.execute(
        "select record_l, record_r, status = 'accepted' from resolution.person_review "
        "where status in ('accepted', 'rejected')"
    ).fetchall()
    return {(a, b): same for a, b, same in rows}


def write_xref(
    conn: psycopg.Connection[Any], xref: pd.DataFrame, run_id: str, now: datetime.datetime
) -> dict[str, int]:
    """Upsert the run's xref rows; records not delivered any more are retired. Returns counts."""
    conn.execute("create temp table new_xref (like resolution.person_xref including defaults) on commit drop")
    columns = [
        "source_feed",
        "source_record",
        "source_role",
        "source_department",
        "source_batch",
        "master_person_id",
        "match_method",
        "match_probability",
        "reason",
    ]
    with conn.cursor().copy(
        f"copy new_xref ({', '.join(columns)}, status, first_seen, last_seen, run_id) from stdin"
    ) as copy:
        for row in xref[columns].itertuples(index=False):
            copy.write_row([*(None if pd.isna(v) else v for v in row), "active", now, now, run_id])
    changed = conn.execute(
        """
        insert into resolution.person_xref as x
        select * from new_xref
        on conflict (source_feed, source_record, source_role) do update set
            source_department = excluded.source_department,
            source_batch = excluded.source_batch,
            master_person_id = excluded.master_person_id,
            status = 'active',
            match_method = excluded.match_method,
            match_probability = excluded.match_probability,
            reason = excluded.reason,
            last_seen = excluded.last_seen,
            run_id = excluded.run_id
        """
    ).rowcount
    retired = conn.execute(
        """
        update resolution.person_xref x
        set status = 'retired', reason = 'no longer delivered by the department', run_id = %s
        where x.status = 'active'
          and not exists (
              select 1 from new_xref n
              where n.source_feed = x.source_feed and n.source_record = x.source_record
                and n.source_role = x.source_role
          )
        """,
        (run_id,),
    ).rowcount
    return {"xref_upserted": changed, "xref_retired": retired}


def write_review(conn: psycopg.Connection[Any], review: pd.DataFrame, now: datetime.datetime) -> dict[str, int]:
    """Queue the undecided pairs; pending pairs the model no longer proposes are withdrawn."""
    rows = [(a, b, float(p)) if a <= b else (b, a, float(p)) for a, b, p in review.itertuples(index=False)]
    conn.execute("create temp table new_review (record_l text, record_r text, p double precision) on commit drop")
    with conn.cursor().copy("copy new_review from stdin") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute(
        """
        insert into resolution.person_review (record_l, record_r, match_probability, first_queued, last_queued)
        select record_l, record_r, p, %(now)s, %(now)s from new_review
        on conflict (record_l, record_r) do update set
            match_probability = excluded.match_probability,
            last_queued = excluded.last_queued,
            status = case when resolution.person_review.status = 'withdrawn' then 'pending'
                          else resolution.person_review.status end
        """,
        {"now": now},
    )
    withdrawn = conn.execute(
        """
        update resolution.person_review r set status = 'withdrawn'
        where r.status = 'pending'
          and not exists (select 1 from new_review n where n.record_l = r.record_l and n.record_r = r.record_r)
        """
    ).rowcount
    pending = conn.execute("select count(*) from resolution.person_review where status = 'pending'").fetchone()
    return {"review_pending": int(pending[0]) if pending else 0, "review_withdrawn": withdrawn}


def write_events(
    conn: psycopg.Connection[Any], events: Iterable[tuple[str, str, str, str]], run_id: str, now: datetime.datetime
) -> int:
    rows = [(run_id, now, kind, a, b, detail) for kind, a, b, detail in events]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into resolution.person_id_events "
            "(run_id, happened_at, kind, master_person_id, other_master_person_id, detail) "
            "values (%s, %s, %s, %s, %s, %s)",
            rows,
        )
    return len(rows)


def queue_decision(
    conn: psycopg.Connection[Any], record_a: str, record_b: str, *, accept: bool, by: str, note: str | None
) -> None:
    """Record a decision on any pair, queued or not (governance may split an automatic link)."""
    a, b = (record_a, record_b) if record_a <= record_b else (record_b, record_a)
    conn.execute(
        "insert into resolution.person_review "
        "(record_l, record_r, match_probability, status, first_queued, last_queued, decided_by, decided_at, note) "
        "values (%s, %s, 0, %s, now(), now(), %s, now(), %s) "
        "on conflict (record_l, record_r) do update set status = excluded.status, "
        "decided_by = excluded.decided_by, decided_at = excluded.decided_at, note = excluded.note",
        (a, b, "accepted" if accept else "rejected", by, note),
    )


def decide(
    conn: psycopg.Connection[Any], record_l: str, record_r: str, *, accept: bool, by: str, note: str | None
) -> bool:
    """Record governance's decision on a queued pair; False if no such pair is queued."""
    a, b = (record_l, record_r) if record_l <= record_r else (record_r, record_l)
    return (
        conn.execute(
            "update resolution.person_review set status = %s, decided_by = %s, decided_at = now(), note = %s "
            "where record_l = %s and record_r = %s",
            ("accepted" if accept else "rejected", by, note, a, b),
        ).rowcount
        == 1
    )
