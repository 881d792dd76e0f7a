"""The lineage store: every OpenLineage event received, kept whole in Postgres."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

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
"""


def ensure_schema(conn: psycopg.Connection[Any]) -> None:
    conn.execute(SCHEMA_SQL)


def insert_event(conn: psycopg.Connection[Any], event: dict[str, Any], event_time: datetime) -> int:
    """Store one event in one statement: it is stored whole or not at all."""
    run = event.get("run") or {}
    job = event.get("job") or {}
    row = conn.execute(
        """insert into lineage_events
               (event_time, event_type, run_id, job_namespace, job_name, producer, event)
           values (%s, %s, %s, %s, %s, %s, %s) returning id""",
        (
            event_time,
            event.get("eventType"),
            run.get("runId"),
            job.get("namespace"),
            job.get("name"),
            event["producer"],
            Jsonb(event),
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])
