"""The resolution schema in the warehouse: cross-reference, review queue, id events, runs, and
what an incremental run needs from the last one (records, features, scored pairs, the model).

The record of decisions is never deleted by the pipeline: a source record that is no longer
delivered keeps its xref row with status ``retired``; a review pair the model no longer proposes
is ``withdrawn``; merges and splits are logged. Records, features and pairs are working state:
those of a record no longer delivered are dropped.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import psycopg
from psycopg.types.json import Jsonb

from silobreak.resolution.clusters import Pair, pair_key

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

alter table resolution.person_xref add column if not exists unique_id text
    generated always as (source_feed || '|' || source_record || '|' || source_role) stored;
create index if not exists person_xref_unique_id on resolution.person_xref (unique_id);

create table if not exists resolution.person_records (
    unique_id          text primary key,
    source_department  text not null,
    source_feed        text not null,
    source_record      text not null,
    source_role        text not null,
    source_batch       text,
    resident_id        text,
    person_name        text,
    gender             text,
    birth_date         date,
    mobile             text,
    address            text,
    source_updated_at  timestamptz,
    fingerprint        text not null,
    changed_at         timestamptz not null,
    run_id             text not null
);
create unique index if not exists person_records_key
    on resolution.person_records (source_feed, source_record, source_role);
comment on table resolution.person_records is
    'The person records as the last resolution run saw them; batch and time are those of the '
    'record''s last change, so a department delivering the same record again changes nothing.';

create table if not exists resolution.person_features (
    unique_id   text primary key,
    trusted_id  text,
    id_key      text,
    name_s      text,
    name_py     text,
    surname     text,
    birth_date  text,
    gender      text,
    mobile      text
);
comment on table resolution.person_features is 'What the matcher compares, per current person record.';
create index if not exists person_features_trusted on resolution.person_features (trusted_id);
create index if not exists person_features_id_key on resolution.person_features (id_key);
create index if not exists person_features_birth on resolution.person_features (birth_date, surname);
create index if not exists person_features_mobile on resolution.person_features (mobile, surname);
create index if not exists person_features_pinyin on resolution.person_features (name_py, birth_date);

create table if not exists resolution.person_pairs (
    record_l           text not null,
    record_r           text not null,
    match_probability  double precision not null,
    model_id           text not null,
    primary key (record_l, record_r)
);
comment on table resolution.person_pairs is
    'Every scored pair at or above the review threshold (record_l < record_r), kept so a new day '
    'only scores its own records.';
create index if not exists person_pairs_r on resolution.person_pairs (record_r);

create table if not exists resolution.models (
    model_id    text primary key,
    trained_at  timestamptz not null,
    records     integer not null,
    settings    jsonb not null
);
comment on table resolution.models is 'Splink models trained by full runs; incremental runs score with the latest.';

create table if not exists resolution.person_changes (
    run_id            text not null,
    changed_at        timestamptz not null,
    master_person_id  uuid not null,
    primary key (run_id, master_person_id)
);
comment on table resolution.person_changes is
    'The master persons each run touched (new, changed, merged away, split): what the registers rebuild.';
create index if not exists person_changes_at on resolution.person_changes (changed_at);
"""


def temp_table(conn: psycopg.Connection[Any], name: str, definition: str, rows: Iterable[Sequence[Any]]) -> None:
    """A temporary table of the run's transaction filled by COPY: how a run hands rows to SQL."""
    conn.execute(f"create temp table {name} ({definition}) on commit drop")
    with conn.cursor().copy(f"copy {name} from stdin") as copy:
        for row in rows:
            copy.write_row(row)


def frame_rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[list[Any]]:
    """The rows of ``frame``'s ``columns``, missing values as NULL."""
    for row in frame.loc[:, list(columns)].itertuples(index=False):
        yield [None if pd.isna(v) else v for v in row]


def ensure_schema(conn: psycopg.Connection[Any]) -> None:
    conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.resolution_schema'))")
    conn.execute(DDL)


def latest_model(conn: psycopg.Connection[Any]) -> tuple[str, dict[str, Any]] | None:
    """The model the last full run trained (id, Splink settings), or None before the first."""
    row = conn.execute("select model_id, settings from resolution.models order by trained_at desc limit 1").fetchone()
    return (str(row[0]), dict(row[1])) if row else None


def save_model(
    conn: psycopg.Connection[Any], model_id: str, settings: dict[str, Any], records: int, now: datetime.datetime
) -> None:
    conn.execute(
        "insert into resolution.models (model_id, trained_at, records, settings) values (%s, %s, %s, %s)",
        (model_id, now, records, Jsonb(settings)),
    )


def last_run_started(conn: psycopg.Connection[Any]) -> datetime.datetime | None:
    row = conn.execute("select max(started_at) from resolution.runs").fetchone()
    return row[0] if row else None


def decided_since(conn: psycopg.Connection[Any], since: datetime.datetime | None) -> bool:
    """Whether governance decided a pair since ``since`` (so a run has work even with no new records)."""
    row = conn.execute(
        "select exists (select 1 from resolution.person_review where decided_at >= %s)", (since,)
    ).fetchone()
    return bool(row and row[0])


def save_pairs(conn: psycopg.Connection[Any], pairs: pd.DataFrame, model_id: str, *, replace_all: bool) -> int:
    """Keep the scored pairs (``record_l < record_r``): all of them after a full run, else in place
    of the pairs of the new, changed and gone records."""
    if replace_all:
        conn.execute("delete from resolution.person_pairs")
    else:
        for side in ("record_l", "record_r"):
            conn.execute(
                "delete from resolution.person_pairs p using (select unique_id from delta union all "  # noqa: S608
                f"select unique_id from gone) c where p.{side} = c.unique_id"
            )
    scored = zip(pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], strict=True)
    temp_table(
        conn, "new_pairs", "like resolution.person_pairs", ((*pair_key(a, b), float(p), model_id) for a, b, p in scored)
    )
    return conn.execute(
        "insert into resolution.person_pairs select * from new_pairs on conflict (record_l, record_r) do update set "
        "match_probability = excluded.match_probability, model_id = excluded.model_id"
    ).rowcount


def read_pairs(conn: psycopg.Connection[Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored pairs among the affected records, and those from an affected record to another."""
    columns = ["unique_id_l", "unique_id_r", "match_probability"]
    inside = conn.execute(
        "select p.record_l, p.record_r, p.match_probability from resolution.person_pairs p "
        "join affected a on a.unique_id = p.record_l join affected b on b.unique_id = p.record_r "
        "order by p.record_l, p.record_r"
    ).fetchall()
    crossing = conn.execute(
        "select p.record_l, p.record_r, p.match_probability from affected a "
        "join resolution.person_pairs p on p.record_l = a.unique_id "
        "where not exists (select 1 from affected b where b.unique_id = p.record_r) "
        "union all "
        "select p.record_l, p.record_r, p.match_probability from affected a "
        "join resolution.person_pairs p on p.record_r = a.unique_id "
        "where not exists (select 1 from affected b where b.unique_id = p.record_l) "
        "order by 1, 2"
    ).fetchall()
    return pd.DataFrame(inside, columns=columns), pd.DataFrame(crossing, columns=columns)


def previous_ids(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Record key -> master id of the last run, for the affected records (active and retired)."""
    rows = conn.execute(
        "select x.unique_id, x.master_person_id::text from resolution.person_xref x join affected a using (unique_id)"
    ).fetchall()
    return dict(rows)  # type: ignore[arg-type]


def issued(conn: psycopg.Connection[Any], candidates: Iterable[str]) -> set[str]:
    """Which of these ids some record (of any run) already holds or held."""
    rows = conn.execute(
        "select distinct master_person_id::text from resolution.person_xref where master_person_id = any(%s::uuid[])",
        (list(candidates),),
    ).fetchall()
    return {r[0] for r in rows}


def decisions(conn: psycopg.Connection[Any]) -> dict[Pair, bool]:
    """Governance's decisions on pairs with an affected record."""
    rows = conn.execute(
        "select record_l, record_r, status = 'accepted' from resolution.person_review "
        "where status in ('accepted', 'rejected') "
        "and (record_l in (select unique_id from affected) or record_r in (select unique_id from affected))"
    ).fetchall()
    return {(a, b): same for a, b, same in rows}


def write_xref(
    conn: psycopg.Connection[Any], xref: pd.DataFrame, run_id: str, now: datetime.datetime, *, full: bool
) -> dict[str, int]:
    """Write the affected records' master ids where anything changed, retire the records no longer
    delivered, and log every master id that gained, lost or changed a record. Returns counts."""
    temp_table(
        conn,
        "new_xref",
        "unique_id text primary key, master_person_id uuid, match_method text, "
        "match_probability double precision, reason text",
        frame_rows(xref, ["unique_id", "master_person_id", "match_method", "match_probability", "reason"]),
    )
    changed = """
        from new_xref n left join resolution.person_xref x on x.unique_id = n.unique_id
        where x.unique_id is null or x.status <> 'active' or x.master_person_id <> n.master_person_id
           or x.match_method is distinct from n.match_method
           or n.unique_id in (select unique_id from delta)
    """
    log = (
        "insert into resolution.person_changes (run_id, changed_at, master_person_id) "
        "select %(run)s, %(now)s, id from ({}) c where id is not null on conflict do nothing"
    )
    params = {"run": run_id, "now": now}
    conn.execute(
        log.format(f"select n.master_person_id as id {changed} union select x.master_person_id {changed}"), params
    )
    upserted = conn.execute(
        """
        insert into resolution.person_xref as x (
            source_feed, source_record, source_role, source_department, source_batch, master_person_id,
            status, match_method, match_probability, reason, first_seen, last_seen, run_id)
        select r.source_feed, r.source_record, r.source_role, r.source_department, r.source_batch,
            n.master_person_id, 'active', n.match_method, n.match_probability, n.reason, %(now)s, %(now)s, %(run)s
        from new_xref n join resolution.person_records r using (unique_id)
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
        where x.status <> 'active' or x.master_person_id <> excluded.master_person_id
           or x.source_batch is distinct from excluded.source_batch
           or x.match_method is distinct from excluded.match_method
           or x.match_probability is distinct from excluded.match_probability
           or x.reason is distinct from excluded.reason
        """,
        params,
    ).rowcount
    # a full run also retires what an earlier version of the store never recorded in person_records
    gone = (
        "not exists (select 1 from current_records c where c.unique_id = x.unique_id)"
        if full
        else ("x.unique_id in (select unique_id from gone)")
    )
    retired = conn.execute(
        f"""
        with retired as (
            update resolution.person_xref x
            set status = 'retired', reason = 'no longer delivered by the department', run_id = %(run)s,
                last_seen = %(now)s
            where x.status = 'active' and {gone}
            returning x.master_person_id
        )
        insert into resolution.person_changes (run_id, changed_at, master_person_id)
        select distinct %(run)s, %(now)s, master_person_id from retired
        on conflict do nothing
        """,  # noqa: S608
        params,
    ).rowcount
    touched = conn.execute("select count(*) from resolution.person_changes where run_id = %s", (run_id,)).fetchone()
    return {
        "xref_written": upserted,
        "xref_retired": retired,
        "master_persons_touched": int(touched[0]) if touched else 0,
    }


def write_review(conn: psycopg.Connection[Any], review: pd.DataFrame, now: datetime.datetime) -> dict[str, int]:
    """Queue the undecided pairs of the affected records; their pending pairs the model no longer
    proposes are withdrawn."""
    temp_table(
        conn,
        "new_review",
        "record_l text, record_r text, p double precision",
        ((*pair_key(a, b), float(p)) for a, b, p in review.itertuples(index=False)),
    )
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
          and (r.record_l in (select unique_id from affected) or r.record_r in (select unique_id from affected))
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
