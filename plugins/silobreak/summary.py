"""What a run achieved, read from the real tables: the ledger, master data and the lineage store."""

from __future__ import annotations

import datetime
from typing import Any

import psycopg

from silobreak.settings import LINEAGE_DB, Stack
from silobreak.warehouse import connect


def feed_summary(stack: Stack, feed: str) -> dict[str, Any]:
    """Counts of the feed's latest loaded batch, master persons and stored lineage events."""
    with connect(stack) as conn:
        batch = conn.execute(
            "select batch_id, row_count, valid_count, quarantined_count, status from silobreak.batches "
            "where feed = %s order by coalesce(loaded_at, validated_at, landed_at) desc limit 1",
            (feed,),
        ).fetchone()
        loaded = quarantined = None
        if batch:
            raw = conn.execute(
                "select count(*) from silobreak.quarantined_rows where feed = %s and batch_id = %s", (feed, batch[0])
            ).fetchone()
            quarantined = raw[0] if raw else 0
            department, entity = feed.split("__", 1)
            try:
                row = conn.execute(
                    f'select count(*) from "raw_{department}"."{entity}" where _batch_id = %s',  # noqa: S608 - names from the contract's checked pattern
                    (batch[0],),
                ).fetchone()
                loaded = row[0] if row else 0
            except psycopg.errors.UndefinedTable:
                conn.rollback()
        try:
            persons_row = conn.execute("select count(*) from master.master_person").fetchone()
            persons = persons_row[0] if persons_row else 0
        except psycopg.errors.UndefinedTable:
            persons = 0
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        events_row = conn.execute("select count(*) from lineage_events").fetchone()
    return {
        "feed": feed,
        "batch_id": batch[0] if batch else None,
        "status": batch[4] if batch else None,
        "extracted": batch[1] if batch else 0,
        "valid": batch[2] if batch else 0,
        "quarantined": quarantined or 0,
        "loaded": loaded or 0,
        "master_persons": persons,
        "lineage_events": events_row[0] if events_row else 0,
    }


def resolution_since(stack: Stack, since: datetime.datetime) -> dict[str, Any] | None:
    """What the entity-resolution runs since ``since`` did together (master_data may run several
    times while feeds load), or None if none ran."""
    with connect(stack) as conn:
        try:
            runs = [
                row[0]
                for row in conn.execute(
                    "select stats from resolution.runs where started_at >= %s order by started_at", (since,)
                ).fetchall()
            ]
        except psycopg.errors.UndefinedTable:
            return None
    if not runs:
        return None
    return {
        "runs": len(runs),
        "full": sum(1 for r in runs if r.get("mode") == "full"),
        **{k: sum(int(r.get(k) or 0) for r in runs) for k in ("new", "changed", "gone", "affected")},
        "records": runs[-1].get("records", 0),
    }
