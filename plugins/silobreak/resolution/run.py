"""One resolution run against the warehouse: read the person records, resolve, write back.

Called by the ``master_data`` DAG between the dbt build of staging/intermediate and the dbt build
of the registers, and reported to OpenLineage as job ``resolution.persons`` (input: the
intermediate person union, outputs: the xref, the review queue and the id events).
"""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
from psycopg.types.json import Jsonb

from silobreak.lineage import emit
from silobreak.resolution import clusters, features, ids, matching, store
from silobreak.settings import Stack, current_stack
from silobreak.warehouse import connect

JOB = "resolution.persons"


def resolve_frame(
    records: pd.DataFrame,
    previous: dict[str, str],
    decided: dict[clusters.Pair, bool],
    thresholds: matching.Thresholds,
) -> tuple[pd.DataFrame, clusters.Resolution, ids.IdAssignment, dict[str, Any]]:
    """The run's work without the database: xref rows, review pairs, id events and timings."""
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    prepared = features.prepare(records)
    timings["features_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    pairs = matching.score_pairs(prepared, review=thresholds.review)
    timings["matching_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    resolution = clusters.resolve(prepared, pairs, thresholds, decided)
    carried = ids.carry(resolution.assignment, previous)
    timings["clustering_s"] = round(time.perf_counter() - started, 3)
    a = resolution.assignment
    xref = records.assign(
        source_role=records["source_role"].fillna(""),
        master_person_id=a["cluster_key"].map(carried.ids).to_numpy(),
        match_method=a["method"].to_numpy(),
        match_probability=a["match_probability"].to_numpy(),
        reason=a["reason"].to_numpy(),
    )
    stats = {
        "records": len(records),
        "without_trusted_id": int(prepared["trusted_id"].isna().sum()),
        "pairs_scored": len(pairs),
        "master_persons": int(xref["master_person_id"].nunique()),
        "methods": {k: int(v) for k, v in a["method"].value_counts().items()},
        "events": len(carried.events),
        **timings,
    }
    return xref, resolution, carried, stats


def resolve_persons(
    stack: Stack | None = None,
    context: dict[str, Any] | None = None,
    thresholds: matching.Thresholds | None = None,
) -> dict[str, Any]:
    """Resolve every person record in the warehouse and write the xref, review queue and events."""
    stack = stack or current_stack()
    thresholds = thresholds or matching.Thresholds()
    run_id = str(uuid.uuid4())
    started = datetime.datetime.now(datetime.UTC)
    schema, table = store.PERSON_RECORDS
    with (
        emit.step(
            stack,
            JOB,
            inputs=[emit.warehouse_dataset(stack, schema, table)],
            parent=emit.airflow_parent(context),
            description="Resolve departmental person records to master persons (resident ID, then Splink)",
        ) as step,
        connect(stack) as conn,
        conn.transaction(),
    ):
        store.ensure_schema(conn)
        conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.resolution_run'))")
        records = store.read_person_records(conn)
        xref, resolution, carried, stats = resolve_frame(
            records, store.previous_ids(conn), store.decisions(conn), thresholds
        )
        stats.update(store.write_xref(conn, xref, run_id, started))
        stats.update(store.write_review(conn, resolution.review, started))
        stats["events"] = store.write_events(conn, carried.events, run_id, started)
        stats.update(run_id=run_id, link_threshold=thresholds.link, review_threshold=thresholds.review)
        conn.execute(
            "insert into resolution.runs (run_id, started_at, finished_at, stats) values (%s, %s, now(), %s)",
            (run_id, started, Jsonb(stats)),
        )
        step.outputs = [
            emit.warehouse_dataset(stack, store.SCHEMA, "person_xref"),
            emit.warehouse_dataset(stack, store.SCHEMA, "person_review"),
            emit.warehouse_dataset(stack, store.SCHEMA, "person_id_events"),
        ]
    return stats
