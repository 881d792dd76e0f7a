"""The lineage store: every OpenLineage event kept whole, plus read tables kept up to date on ingest.

``lineage_events`` is append-only and is the truth. In the same transaction as each insert, the
event updates indexed read tables (namespaces, datasets, their versions and fields, jobs, runs,
dataset->job->dataset edges and column edges), so reads cost the same however long the history.
A dataset version is made only when the dataset's schema or its content version changes, not on
every run: versions are keyed by a hash of the schema fields and the ``version`` facet.
"""

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
                _index(conn, event, parsed)
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


def insert_event(conn: Conn, event: dict[str, Any], parsed: RunEventIn) -> int:
    """Store the event whole and update the read tables, in one transaction: all of it or nothing."""
    with conn.transaction():
        row = conn.execute(
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
        ).fetchone()
        assert row is not None
        _index(conn, event, parsed)
    return int(row[0])


def _index(conn: Conn, event: dict[str, Any], parsed: RunEventIn) -> None:
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
    job_id = _upsert_job(conn, parsed, event, at)
    run_id = parsed.run.runId
    _upsert_run(conn, parsed, event, job_id, at)
    # a fixed order of rows to lock keeps concurrent ingests of overlapping events free of deadlocks
    for direction, dataset, raw in sorted(sides, key=lambda s: (s[1].namespace, s[1].name, s[0])):
        dataset_id, version_id = _upsert_dataset(conn, dataset, raw.get("facets") or {}, run_id, at)
        conn.execute(
            "insert into job_io (job_id, direction, dataset_id, updated_at) values (%s, %s, %s, %s) "
            "on conflict (job_id, direction, dataset_id) do update set updated_at = excluded.updated_at",
            (job_id, direction, dataset_id, at),
        )
        if version_id is not None:
            conn.execute(
                "insert into run_io (run_id, direction, dataset_version_id) values (%s, %s, %s) on conflict do nothing",
                (run_id, direction, version_id),
            )
        if direction == "out" and dataset.facets and dataset.facets.columnLineage:
            _replace_column_edges(conn, dataset_id, dataset, at)


def _upsert_job(conn: Conn, parsed: RunEventIn, event: dict[str, Any], at: datetime) -> int:
    row = conn.execute(
        "insert into jobs (namespace, name, created_at, updated_at, facets, latest_run_id) "
        "values (%s, %s, %s, %s, %s, %s) on conflict (namespace, name) do update set "
        "updated_at = greatest(jobs.updated_at, excluded.updated_at), facets = jobs.facets || excluded.facets, "
        "latest_run_id = case when excluded.updated_at >= jobs.updated_at then excluded.latest_run_id "
        "else jobs.latest_run_id end returning id",
        (parsed.job.namespace, parsed.job.name, at, at, Jsonb(event["job"].get("facets") or {}), parsed.run.runId),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _upsert_run(conn: Conn, parsed: RunEventIn, event: dict[str, Any], job_id: int, at: datetime) -> None:
    kind = parsed.eventType or "OTHER"
    state = RUN_STATES.get(kind)
    parent = parsed.run.facets.parent if parsed.run.facets else None
    conn.execute(
        "insert into runs (id, job_id, state, created_at, updated_at, started_at, ended_at, parent_run_id, facets) "
        "values (%(id)s, %(job)s, coalesce(%(state)s, 'NEW'), %(at)s, %(at)s, %(started)s, %(ended)s, %(parent)s, "
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
            "job": job_id,
            "state": state,
            "at": at,
            "started": at if kind == "START" else None,
            "ended": at if kind in ("COMPLETE", "FAIL", "ABORT") else None,
            "parent": parent.run.runId if parent else None,
            "facets": Jsonb(event["run"].get("facets") or {}),
        },
    )


def _upsert_dataset(
    conn: Conn, dataset: Dataset, facets: dict[str, Any], run_id: uuid.UUID, at: datetime
) -> tuple[int, uuid.UUID | None]:
    """The dataset's row, and the version this event saw (a new one only if schema or content changed)."""
    row = conn.execute(
        "insert into datasets (namespace, name, created_at, updated_at, facets) values (%s, %s, %s, %s, %s) "
        "on conflict (namespace, name) do update set updated_at = greatest(datasets.updated_at, excluded.updated_at), "
        "facets = datasets.facets || excluded.facets returning id, current_version",
        (dataset.namespace, dataset.name, at, at, Jsonb(facets)),
    ).fetchone()
    assert row is not None
    dataset_id, current = int(row[0]), row[1]
    digest = content_hash(facets)
    version_id = current
    if digest is not None:
        version_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{dataset.namespace}\x1f{dataset.name}\x1f{digest}")
        if version_id != current:
            schema = dataset.facets.schema_ if dataset.facets else None
            fields = [f.model_dump(exclude_none=True) for f in schema.fields] if schema else []
            conn.execute(
                "insert into dataset_versions (id, dataset_id, content_hash, created_at, run_id, fields, facets) "
                "values (%s, %s, %s, %s, %s, %s, %s) on conflict (id) do nothing",
                (version_id, dataset_id, digest, at, run_id, Jsonb(fields), Jsonb(facets)),
            )
            conn.execute("update datasets set current_version = %s where id = %s", (version_id, dataset_id))
            if schema is not None:
                names = [f.name for f in schema.fields]
                conn.execute(
                    "delete from dataset_fields where dataset_id = %s and name <> all(%s)", (dataset_id, names)
                )
                for position, f in enumerate(schema.fields):
                    conn.execute(
                        "insert into dataset_fields (dataset_id, name, position, type, description) "
                        "values (%s, %s, %s, %s, %s) on conflict (dataset_id, name) do update set "
                        "position = excluded.position, type = excluded.type, description = excluded.description",
                        (dataset_id, f.name, position, f.type, f.description),
                    )
    tags = dataset.facets.tags if dataset.facets else None
    if tags is not None:
        by_field: dict[str, list[dict[str, Any]]] = {}
        for tag in tags.tags:
            if tag.field:
                by_field.setdefault(tag.field, []).append(tag.model_dump(exclude_none=True, exclude={"field"}))
        for name, field_tags in sorted(by_field.items()):
            conn.execute(
                "insert into dataset_fields (dataset_id, name, position, tags) values (%s, %s, 10000, %s) "
                "on conflict (dataset_id, name) do update set tags = excluded.tags",
                (dataset_id, name, Jsonb(field_tags)),
            )
    return dataset_id, version_id


def _dataset_id(conn: Conn, namespace: str, name: str, at: datetime) -> int:
    row = conn.execute(
        "insert into datasets (namespace, name, created_at, updated_at) values (%s, %s, %s, %s) "
        "on conflict (namespace, name) do update set namespace = excluded.namespace returning id",
        (namespace, name, at, at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _replace_column_edges(conn: Conn, dataset_id: int, dataset: Dataset, at: datetime) -> None:
    """The latest columnLineage facet of a dataset says how its columns are made now: it replaces the last."""
    assert dataset.facets is not None and dataset.facets.columnLineage is not None
    conn.execute("delete from column_edges where dataset_id = %s", (dataset_id,))
    ids: dict[tuple[str, str], int] = {}
    rows = []
    for field, spec in sorted(dataset.facets.columnLineage.fields.items()):
        for source in spec.inputFields:
            key = (source.namespace, source.name)
            if key not in ids:
                ids[key] = dataset_id if key == (dataset.namespace, dataset.name) else _dataset_id(conn, *key, at)
            transformations = [t.model_dump(exclude_none=True) for t in source.transformations]
            if not transformations and spec.transformationType:  # the deprecated per-field form
                transformations = [{"type": "DIRECT", "subtype": spec.transformationType}]
            rows.append((dataset_id, field, ids[key], source.field, Jsonb(transformations), at))
    if rows:
        with conn.cursor() as cur:
            cur.executemany(
                "insert into column_edges (dataset_id, field, input_dataset_id, input_field, transformations, "
                "updated_at) values (%s, %s, %s, %s, %s, %s) on conflict (dataset_id, field, input_dataset_id, "
                "input_field) do update set transformations = excluded.transformations",
                rows,
            )
