"""The lineage store: every OpenLineage event kept whole, plus read tables kept up to date on ingest.

``lineage_events`` is append-only and is the truth. In the same transaction as each insert, the
event updates indexed read tables (namespaces, datasets, their versions and fields, jobs, runs,
dataset->job->dataset edges and column edges), so reads cost the same however long the history.
A dataset version is made only when the dataset's schema or its content version changes, not on
every run: versions are keyed by a hash of the schema fields and the ``version`` facet.
"""

# ruff: noqa: S608 - SQL is built only from this module's constant fragments; values are parameters

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from silobreak.lineage.events import Dataset, RunEventIn

SCHEMA_SQL = """
create table if not exists lineage_events (
    id            bigserial primary key,
    received_at   timestamptz not null default now(),
    event_time    timestamptz not null,
    event_type    text,
    run_id        text,
    job_namespace text,
    job_name      text,
    producer      text not null,
    event         jsonb not null
);
create index if not exists lineage_events_run_idx on lineage_events (run_id);
create index if not exists lineage_events_job_idx on lineage_events (job_namespace, job_name);

create table if not exists namespaces (
    name       text primary key,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create table if not exists datasets (
    id              bigserial primary key,
    namespace       text not null,
    name            text not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    facets          jsonb not null default '{}',
    current_version uuid,
    unique (namespace, name)
);
create index if not exists datasets_name_idx on datasets (lower(name) text_pattern_ops);
create table if not exists dataset_versions (
    id           uuid primary key,
    dataset_id   bigint not null references datasets,
    content_hash text not null,
    created_at   timestamptz not null,
    run_id       uuid,
    fields       jsonb not null,
    facets       jsonb not null,
    unique (dataset_id, content_hash)
);
create index if not exists dataset_versions_dataset_idx on dataset_versions (dataset_id, created_at desc);
create table if not exists dataset_fields (
    dataset_id  bigint not null references datasets,
    name        text not null,
    position    int not null default 0,
    type        text,
    description text,
    tags        jsonb not null default '[]',
    primary key (dataset_id, name)
);
create table if not exists jobs (
    id            bigserial primary key,
    namespace     text not null,
    name          text not null,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    facets        jsonb not null default '{}',
    latest_run_id uuid,
    unique (namespace, name)
);
create index if not exists jobs_name_idx on jobs (lower(name) text_pattern_ops);
create table if not exists runs (
    id            uuid primary key,
    job_id        bigint not null references jobs,
    state         text not null,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    started_at    timestamptz,
    ended_at      timestamptz,
    parent_run_id uuid,
    facets        jsonb not null default '{}'
);
create index if not exists runs_job_idx on runs (job_id, created_at desc);
create index if not exists runs_parent_idx on runs (parent_run_id);
create table if not exists run_io (
    run_id             uuid not null references runs,
    direction          text not null check (direction in ('in', 'out')),
    dataset_version_id uuid not null references dataset_versions,
    primary key (run_id, direction, dataset_version_id)
);
create table if not exists job_io (
    job_id     bigint not null references jobs,
    direction  text not null check (direction in ('in', 'out')),
    dataset_id bigint not null references datasets,
    updated_at timestamptz not null,
    primary key (job_id, direction, dataset_id)
);
create index if not exists job_io_dataset_idx on job_io (dataset_id, direction);
create table if not exists column_edges (
    dataset_id       bigint not null references datasets,
    field            text not null,
    input_dataset_id bigint not null references datasets,
    input_field      text not null,
    transformations  jsonb not null default '[]',
    updated_at       timestamptz not null,
    primary key (dataset_id, field, input_dataset_id, input_field)
);
create index if not exists column_edges_input_idx on column_edges (input_dataset_id, input_field);
"""

RUN_STATES = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}
"""OpenLineage event types as Marquez's run states; OTHER leaves the state as it was."""

Conn = psycopg.Connection[Any]


def ensure_schema(conn: Conn) -> None:
    """Create the tables; events stored before the read tables existed are indexed once, here."""
    conn.execute(SCHEMA_SQL)
    if conn.execute("select exists (select 1 from jobs) or not exists (select 1 from lineage_events)").fetchone() == (
        False,
    ):
        reindex(conn)


def reindex(conn: Conn) -> int:
    """Rebuild the read tables from the stored events, oldest first; returns how many were indexed."""
    from pydantic import ValidationError

    indexed = 0
    with conn.transaction():
        conn.execute(
            "truncate column_edges, job_io, run_io, runs, jobs, dataset_fields, dataset_versions, datasets, namespaces"
        )
        with conn.cursor(name="replay") as cur:
            cur.execute("select event from lineage_events order by event_time, id")
            for (event,) in cur:
                try:
                    parsed = RunEventIn.model_validate(event)
                except ValidationError:
                    continue  # stored before the facets it carries were checked: kept, not indexed
                batch = Batch()
                _index(batch, event, parsed)
                batch.send(conn)
                indexed += 1
    return indexed


def content_hash(facets: dict[str, Any]) -> str | None:
    """What identifies a dataset version: its schema fields and its ``version`` facet, nothing else."""
    schema = facets.get("schema")
    version = facets.get("version")
    if not isinstance(schema, dict) and not isinstance(version, dict):
        return None
    fields = [[f.get("name"), f.get("type")] for f in (schema or {}).get("fields") or []]
    key = {"fields": fields, "version": (version or {}).get("datasetVersion")}
    return hashlib.sha256(json.dumps(key, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Batch:
    """The statements of one event, sent to Postgres in one pipeline: no statement waits for the one
    before it to answer, and each is prepared once per connection, so an event costs about one round
    trip however many read tables it touches."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def execute(self, sql: str, params: Any = None) -> None:
        self.statements.append((sql, params))

    def send(self, conn: Conn) -> list[psycopg.Cursor[Any]]:
        """Run every statement in one transaction; the cursors, in order, once all have answered."""
        with conn.transaction(), conn.pipeline():
            return [conn.execute(sql, params) for sql, params in self.statements]


def insert_event(conn: Conn, event: dict[str, Any], parsed: RunEventIn) -> int:
    """Store the event whole and update the read tables, in one transaction: all of it or nothing.

    Statements find the rows the ones before them wrote by natural key, so nothing waits for an id
    to come back. The commit does not wait for the WAL to reach the disk (ADR 0009): a crash of
    Postgres itself may lose the last fraction of a second of acknowledged events, never leave one
    half indexed.
    """
    batch = Batch()
    batch.execute("set local synchronous_commit = off")
    batch.execute(
        """insert into lineage_events
               (event_time, event_type, run_id, job_namespace, job_name, producer, event)
           values (%s, %s, %s, %s, %s, %s, %s) returning id""",
        (
            parsed.eventTime,
            parsed.eventType,
            str(parsed.run.runId),
            parsed.job.namespace,
            parsed.job.name,
            parsed.producer,
            Jsonb(event),
        ),
    )
    _index(batch, event, parsed)
    row = batch.send(conn)[1].fetchone()
    assert row is not None
    return int(row[0])


_DATASET = "(select id from datasets where namespace = %(ns)s and name = %(name)s)"
_JOB = "(select id from jobs where namespace = %(job_ns)s and name = %(job)s)"


def _index(conn: Batch, event: dict[str, Any], parsed: RunEventIn) -> None:
    at = parsed.eventTime
    sides = [("in", d, raw) for d, raw in zip(parsed.inputs or [], event.get("inputs") or [], strict=True)] + [
        ("out", d, raw) for d, raw in zip(parsed.outputs or [], event.get("outputs") or [], strict=True)
    ]
    namespaces = sorted({parsed.job.namespace} | {d.namespace for _, d, _ in sides})
    conn.execute(
        "insert into namespaces (name, created_at, updated_at) select n, %s, %s from unnest(%s::text[]) as n "
        "order by n on conflict (name) do update set updated_at = greatest(namespaces.updated_at, excluded.updated_at)",
        (at, at, namespaces),
    )
    _upsert_job(conn, parsed, event, at)
    _upsert_run(conn, parsed, event, at)
    # one row per dataset however often the event names it; the output side's facets win, as they
    # would if applied one after the other. A fixed order of rows to lock keeps concurrent ingests of
    # overlapping events free of deadlocks.
    merged: dict[tuple[str, str], tuple[Dataset, dict[str, Any]]] = {}
    io: set[tuple[str, str, str]] = set()
    for direction, dataset, raw in sorted(sides, key=lambda s: (s[1].namespace, s[1].name, s[0])):
        key = (dataset.namespace, dataset.name)
        facets = {**merged[key][1], **(raw.get("facets") or {})} if key in merged else raw.get("facets") or {}
        merged[key] = (dataset if direction == "out" or key not in merged else merged[key][0], facets)
        io.add((dataset.namespace, dataset.name, direction))
    if merged:
        keys = sorted(merged)
        conn.execute(
            "insert into datasets (namespace, name, created_at, updated_at, facets) "
            "select ns, name, %s, %s, facets from unnest(%s::text[], %s::text[], %s::jsonb[]) as u(ns, name, facets) "
            "order by ns, name on conflict (namespace, name) do update set "
            "updated_at = greatest(datasets.updated_at, excluded.updated_at), "
            "facets = datasets.facets || excluded.facets",
            (at, at, [k[0] for k in keys], [k[1] for k in keys], [Jsonb(merged[k][1]) for k in keys]),
        )
        for key in keys:
            _version_and_fields(conn, merged[key][0], merged[key][1], parsed.run.runId, at)
        rows = sorted(io)
        arrays = ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
        job = {"job_ns": parsed.job.namespace, "job": parsed.job.name}
        conn.execute(
            "insert into job_io (job_id, direction, dataset_id, updated_at) "
            f"select {_JOB}, u.direction, d.id, %(at)s from unnest(%(ns)s::text[], %(names)s::text[], "
            "%(dirs)s::text[]) as u(ns, name, direction) join datasets d on d.namespace = u.ns and d.name = u.name "
            "order by 1, 2, 3 on conflict (job_id, direction, dataset_id) do update set "
            "updated_at = excluded.updated_at",
            {**job, "at": at, "ns": arrays[0], "names": arrays[1], "dirs": arrays[2]},
        )
        conn.execute(
            "insert into run_io (run_id, direction, dataset_version_id) "
            "select %(run)s, u.direction, d.current_version from unnest(%(ns)s::text[], %(names)s::text[], "
            "%(dirs)s::text[]) as u(ns, name, direction) join datasets d on d.namespace = u.ns and d.name = u.name "
            "where d.current_version is not null on conflict do nothing",
            {"run": parsed.run.runId, "ns": arrays[0], "names": arrays[1], "dirs": arrays[2]},
        )
    for direction, dataset, _ in sorted(sides, key=lambda s: (s[1].namespace, s[1].name, s[0])):
        if direction == "out" and dataset.facets and dataset.facets.columnLineage:
            _replace_column_edges(conn, dataset, at)


def _upsert_job(conn: Batch, parsed: RunEventIn, event: dict[str, Any], at: datetime) -> None:
    conn.execute(
        "insert into jobs (namespace, name, created_at, updated_at, facets, latest_run_id) "
        "values (%s, %s, %s, %s, %s, %s) on conflict (namespace, name) do update set "
        "updated_at = greatest(jobs.updated_at, excluded.updated_at), facets = jobs.facets || excluded.facets, "
        "latest_run_id = case when excluded.updated_at >= jobs.updated_at then excluded.latest_run_id "
        "else jobs.latest_run_id end",
        (parsed.job.namespace, parsed.job.name, at, at, Jsonb(event["job"].get("facets") or {}), parsed.run.runId),
    )


def _upsert_run(conn: Batch, parsed: RunEventIn, event: dict[str, Any], at: datetime) -> None:
    kind = parsed.eventType or "OTHER"
    state = RUN_STATES.get(kind)
    parent = parsed.run.facets.parent if parsed.run.facets else None
    conn.execute(
        "insert into runs (id, job_id, state, created_at, updated_at, started_at, ended_at, parent_run_id, facets) "
        f"values (%(id)s, {_JOB}, coalesce(%(state)s, 'NEW'), %(at)s, %(at)s, %(started)s, %(ended)s, %(parent)s, "
        "%(facets)s) on conflict (id) do update set "
        "state = case when %(state)s::text is null or (runs.ended_at is not null and %(ended)s::timestamptz is null) "
        "then runs.state else %(state)s end, "
        "updated_at = greatest(runs.updated_at, excluded.updated_at), "
        "started_at = coalesce(runs.started_at, excluded.started_at), "
        "ended_at = coalesce(excluded.ended_at, runs.ended_at), "
        "parent_run_id = coalesce(excluded.parent_run_id, runs.parent_run_id), "
        "facets = runs.facets || excluded.facets",
        {
            "id": parsed.run.runId,
            "job_ns": parsed.job.namespace,
            "job": parsed.job.name,
            "state": state,
            "at": at,
            "started": at if kind == "START" else None,
            "ended": at if kind in ("COMPLETE", "FAIL", "ABORT") else None,
            "parent": parent.run.runId if parent else None,
            "facets": Jsonb(event["run"].get("facets") or {}),
        },
    )


def _version_and_fields(conn: Batch, dataset: Dataset, facets: dict[str, Any], run_id: uuid.UUID, at: datetime) -> None:
    """The version this event saw: a new one only if schema or content changed; fields follow the new schema."""
    key = {"ns": dataset.namespace, "name": dataset.name}
    digest = content_hash(facets)
    if digest is not None:
        version_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{dataset.namespace}\x1f{dataset.name}\x1f{digest}")
        changed = f"{_DATASET.replace('select id', 'select current_version')} is distinct from %(v)s"
        schema = dataset.facets.schema_ if dataset.facets else None
        fields = [f.model_dump(exclude_none=True) for f in schema.fields] if schema else []
        conn.execute(
            "insert into dataset_versions (id, dataset_id, content_hash, created_at, run_id, fields, facets) "
            f"select %(v)s, {_DATASET}, %(digest)s, %(at)s, %(run)s, %(fields)s, %(facets)s "
            f"where {changed} on conflict (id) do nothing",
            {**key, "v": version_id, "digest": digest, "at": at, "run": run_id, "fields": Jsonb(fields),
             "facets": Jsonb(facets)},
        )  # fmt: skip
        if schema is not None:
            names = [f.name for f in schema.fields]
            conn.execute(
                f"delete from dataset_fields where dataset_id = {_DATASET} and name <> all(%(names)s) and {changed}",
                {**key, "v": version_id, "names": names},
            )
            conn.execute(
                "insert into dataset_fields (dataset_id, name, position, type, description) "
                f"select {_DATASET}, u.name, u.position - 1, u.type, u.description "
                "from unnest(%(names)s::text[], %(types)s::text[], %(descriptions)s::text[]) "
                f"with ordinality as u(name, type, description, position) where {changed} "
                "on conflict (dataset_id, name) do update set "
                "position = excluded.position, type = excluded.type, description = excluded.description",
                {**key, "v": version_id, "names": names, "types": [f.type for f in schema.fields],
                 "descriptions": [f.description for f in schema.fields]},
            )  # fmt: skip
        conn.execute(
            "update datasets set current_version = %(v)s where namespace = %(ns)s and name = %(name)s "
            "and current_version is distinct from %(v)s",
            {**key, "v": version_id},
        )
    tags = dataset.facets.tags if dataset.facets else None
    if tags is not None:
        by_field: dict[str, list[dict[str, Any]]] = {}
        for tag in tags.tags:
            if tag.field:
                by_field.setdefault(tag.field, []).append(tag.model_dump(exclude_none=True, exclude={"field"}))
        if by_field:
            names = sorted(by_field)
            conn.execute(
                f"insert into dataset_fields (dataset_id, name, position, tags) select {_DATASET}, u.name, 10000, "
                "u.tags from unnest(%(names)s::text[], %(tags)s::jsonb[]) as u(name, tags) "
                "on conflict (dataset_id, name) do update set tags = excluded.tags",
                {**key, "names": names, "tags": [Jsonb(by_field[n]) for n in names]},
            )


def _replace_column_edges(conn: Batch, dataset: Dataset, at: datetime) -> None:
    """The latest columnLineage facet of a dataset says how its columns are made now: it replaces the last."""
    assert dataset.facets is not None and dataset.facets.columnLineage is not None
    key = {"ns": dataset.namespace, "name": dataset.name}
    conn.execute(f"delete from column_edges where dataset_id = {_DATASET}", key)
    edges: dict[tuple[str, str, str, str], Jsonb] = {}  # a source named twice: the last says how
    for field, spec in sorted(dataset.facets.columnLineage.fields.items()):
        for source in spec.inputFields:
            transformations = [t.model_dump(exclude_none=True) for t in source.transformations]
            if not transformations and spec.transformationType:  # the deprecated per-field form
                transformations = [{"type": "DIRECT", "subtype": spec.transformationType}]
            edges[(field, source.namespace, source.name, source.field)] = Jsonb(transformations)
    rows = [(*k, how) for k, how in edges.items()]
    if not rows:
        return
    sources = sorted({(r[1], r[2]) for r in rows})
    conn.execute(
        "insert into datasets (namespace, name, created_at, updated_at) select ns, name, %s, %s "
        "from unnest(%s::text[], %s::text[]) as u(ns, name) order by ns, name on conflict (namespace, name) do nothing",
        (at, at, [s[0] for s in sources], [s[1] for s in sources]),
    )
    conn.execute(
        "insert into column_edges (dataset_id, field, input_dataset_id, input_field, transformations, updated_at) "
        f"select {_DATASET}, u.field, d.id, u.input_field, u.how, %(at)s "
        "from unnest(%(fields)s::text[], %(src_ns)s::text[], %(src)s::text[], %(input_fields)s::text[], "
        "%(how)s::jsonb[]) as u(field, src_ns, src, input_field, how) "
        "join datasets d on d.namespace = u.src_ns and d.name = u.src "
        "on conflict (dataset_id, field, input_dataset_id, input_field) do update set "
        "transformations = excluded.transformations",
        {**key, "at": at, "fields": [r[0] for r in rows], "src_ns": [r[1] for r in rows], "src": [r[2] for r in rows],
         "input_fields": [r[3] for r in rows], "how": [r[4] for r in rows]},
    )  # fmt: skip
