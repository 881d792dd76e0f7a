"""One resolution run against the warehouse: find what changed, resolve it, write back.

Called by the ``master_data`` DAG between the dbt build of staging/intermediate and the dbt build
of the registers, and reported to OpenLineage as job ``resolution.persons`` (input: the
intermediate person union; outputs: the xref, the records as resolved, the review queue, the id
events and the master persons touched). Incremental unless it is the first run or asked to be
full (ADR 0012).
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import psycopg
from psycopg.types.json import Jsonb

from silobreak.lineage import emit
from silobreak.resolution import clusters, delta, features, ids, matching, store
from silobreak.settings import Stack, current_stack
from silobreak.warehouse import connect

JOB = "resolution.persons"

log = logging.getLogger(__name__)


def resolve_persons(
    stack: Stack | None = None,
    context: dict[str, Any] | None = None,
    thresholds: matching.Thresholds | None = None,
    *,
    full: bool = False,
    retrain: bool = True,
) -> dict[str, Any]:
    """Resolve the person records that changed since the last run, write the xref, review queue
    and events, and log the master persons touched (what the registers rebuild).

    The first run, or one with ``full``, scores every record (training the model again unless
    ``retrain`` is False); later runs score only new and changed records with the stored model and
    cluster only the records those can reach (see ``delta``). Both give the same clusters."""
    stack = stack or current_stack()
    thresholds = thresholds or matching.Thresholds()
    run_id = str(uuid.uuid4())
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
        # the run's time is taken once it holds the lock: every run committed before has an earlier
        # one, so a register's watermark (its latest resolved_at) never passes a run still running
        started = _now(conn)
        stats = _resolve(conn, thresholds, run_id, started, full=full, retrain=retrain)
        conn.execute(
            "insert into resolution.runs (run_id, started_at, finished_at, stats) values (%s, %s, now(), %s)",
            (run_id, started, Jsonb(stats)),
        )
        step.outputs = [
            emit.warehouse_dataset(stack, store.SCHEMA, name)
            for name in ("person_xref", "person_records", "person_review", "person_id_events", "person_changes")
        ]
    log.info("resolution %s", stats)
    return stats


def _resolve(
    conn: psycopg.Connection[Any],
    thresholds: matching.Thresholds,
    run_id: str,
    started: datetime.datetime,
    *,
    full: bool,
    retrain: bool,
) -> dict[str, Any]:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        timings[f"{name}_s"] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    model = store.latest_model(conn)
    decided_since = store.last_run_started(conn)
    full = full or model is None or decided_since is None
    changed = delta.stage(conn)
    stats: dict[str, Any] = {
        "run_id": run_id,
        "mode": "full" if full else "incremental",
        "records": changed.records,
        "new": changed.new,
        "changed": changed.changed,
        "gone": changed.gone,
        "link_threshold": thresholds.link,
        "review_threshold": thresholds.review,
    }
    lap("compare")
    if not full and changed.empty and not store.decided_since(conn, decided_since):
        return {**stats, **_totals(conn), "affected": 0, "pairs_scored": 0, "events": 0, **timings}
    prepared = features.prepare(delta.read_delta(conn))
    delta.save(conn, prepared, run_id, started)
    lap("features")
    if full:
        everything = delta.read_features(conn, "all")
        if len(everything) < 2:  # nothing to pair, nor to train a model on
            pairs = matching.no_pairs()
        else:
            if retrain or model is None:
                linker = matching.fit(everything)
                model = (run_id, matching.model_of(linker))
                store.save_model(conn, *model, len(everything), started)
            else:
                linker = matching.trained(everything, model[1])
            pairs = matching.predict(linker, review=thresholds.review)
    else:
        assert model is not None
        candidates = delta.read_features(conn, "candidates")
        stats["candidates"] = len(candidates)
        lap("candidates")
        pairs = matching.score_new(prepared, candidates, model[1], review=thresholds.review)
    stats["pairs_scored"] = len(pairs)
    store.save_pairs(conn, pairs, model[0] if model else run_id, replace_all=full)
    lap("matching")
    if full:
        stats["affected"] = delta.affect_all(conn)
    else:
        stats["affected"], stats["closure_rounds"] = delta.affect_changed(
            conn, link=thresholds.link, decided_since=decided_since
        )
    lap("closure")
    records = delta.read_features(conn, "affected")
    inside, crossing = store.read_pairs(conn)
    decisions = store.decisions(conn)
    resolution = clusters.resolve(records, inside, thresholds, decisions)
    assignment = resolution.assignment
    keys = set(assignment["cluster_key"])
    carried = ids.carry(assignment, store.previous_ids(conn), issued=store.issued(conn, {ids.new_id(k) for k in keys}))
    lap("clustering")
    xref = assignment.assign(
        master_person_id=assignment["cluster_key"].map(carried.ids),
        match_method=assignment["method"],
    )
    stats.update(store.write_xref(conn, xref, run_id, started, full=full))
    review = pd.concat([resolution.review, _crossing_review(crossing, thresholds, decisions)], ignore_index=True)
    stats.update(store.write_review(conn, review, started))
    stats["events"] = store.write_events(conn, carried.events, run_id, started)
    lap("writing")
    return {**stats, **_totals(conn), **timings}


def _now(conn: psycopg.Connection[Any]) -> datetime.datetime:
    row = conn.execute("select clock_timestamp()").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def _crossing_review(
    crossing: pd.DataFrame, thresholds: matching.Thresholds, decisions: dict[clusters.Pair, bool]
) -> pd.DataFrame:
    """Pairs from an affected record to one outside: never in one cluster (clusters do not reach
    across), so queued when between the thresholds and not decided."""
    undecided = [
        clusters.pair_key(a, b) not in decisions
        for a, b in zip(crossing["unique_id_l"], crossing["unique_id_r"], strict=True)
    ]
    between = (crossing["match_probability"] >= thresholds.review) & (crossing["match_probability"] < thresholds.link)
    return crossing.loc[between & pd.Series(undecided, index=crossing.index, dtype=bool)]


def _totals(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """The register as it stands after the run."""
    rows = conn.execute(
        "select match_method, count(*), count(distinct master_person_id) from resolution.person_xref "
        "where status = 'active' group by match_method"
    ).fetchall()
    persons = conn.execute(
        "select count(distinct master_person_id) from resolution.person_xref where status = 'active'"
    ).fetchone()
    return {
        "master_persons": int(persons[0]) if persons else 0,
        "methods": {str(m): int(n) for m, n, _ in rows},
        "without_trusted_id": int(
            (
                conn.execute("select count(*) from resolution.person_features where trusted_id is null").fetchone()
                or (0,)
            )[0]
        ),
    }
