"""Benchmark: a new day's entity resolution done incrementally, against a full run.

    uv run python bench/bench_incremental_resolution.py --records 100000
    uv run python bench/bench_incremental_resolution.py --records 1000000

Starts a throwaway stack of its own (``.silobreak/bench``, ports from SILOBREAK_PORT_BASE, 27430 if
unset; no Airflow), puts the city's person records of day 0 where the resolution step reads them
(a table standing in for ``intermediate.int_persons__unioned``), and times:

1. the first run (full: features, training, every pair scored, every record clustered), and the
   first build of the person registers (``dbt run`` of master_person, its provenance and the
   intermediate models they read);
2. the next day's run on the city of day 1 (incremental: only new, changed and gone records),
   and the incremental build of the registers;
3. a full run over day 1 with the same model, which must change nothing, and a rebuild of the
   registers from scratch, which must give the same tables (the equivalence the integration test
   checks on the small city).

Prints one JSON line per step (for resolution the stats of resolution.runs; wall seconds, peak
RSS) and a summary with pairwise F1 of day 1 against the truth. The stack is stopped and removed
at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from typing import Any

import pandas as pd
from bench_resolution import RECORDS_PER_RESIDENT, person_records

from silobreak.city.generate import generate_city
from silobreak.pipeline.transform import dbt
from silobreak.resolution import scoring
from silobreak.resolution.features import RECORD_COLUMNS
from silobreak.resolution.run import resolve_persons
from silobreak.settings import Stack
from silobreak.warehouse import connect

TYPES = {"birth_date": "date", "source_updated_at": "timestamptz"}


def put_records(stack: Stack, records: pd.DataFrame) -> None:
    """Replace the stand-in person union with ``records``."""
    columns = ", ".join(f"{c} {TYPES.get(c, 'text')}" for c in RECORD_COLUMNS)
    with connect(stack) as conn, conn.transaction():
        conn.execute("create schema if not exists intermediate")
        conn.execute(f"create table if not exists intermediate.int_persons__unioned ({columns})")
        conn.execute("truncate intermediate.int_persons__unioned")
        with conn.cursor().copy(
            f"copy intermediate.int_persons__unioned ({', '.join(RECORD_COLUMNS)}) from stdin"
        ) as copy:
            for row in records[list(RECORD_COLUMNS)].itertuples(index=False):
                copy.write_row([None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row])


def next_day(day0: pd.DataFrame, drops: pd.DataFrame) -> pd.DataFrame:
    """The person union after a day's drops: snapshot feeds replaced, change feeds' records updated
    or added by key (what ``current_records`` does in staging)."""
    from silobreak.contracts import load_contracts

    snapshots = {c.feed for c in load_contracts() if c.snapshot}
    key = ["source_feed", "source_record", "source_role"]
    changed = pd.concat([day0[~day0.source_feed.isin(snapshots)], drops[~drops.source_feed.isin(snapshots)]])
    replaced = drops[drops.source_feed.isin(snapshots)]
    kept = day0[day0.source_feed.isin(snapshots - set(replaced.source_feed))]
    return pd.concat([changed.drop_duplicates(key, keep="last"), replaced, kept], ignore_index=True)


def timed(label: str, **kwargs: Any) -> dict[str, Any]:
    started = time.perf_counter()
    stats = resolve_persons(STACK, **kwargs)
    out = {
        "run": label,
        "wall_s": round(time.perf_counter() - started, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **{k: v for k, v in stats.items() if k not in ("run_id", "methods")},
    }
    print(json.dumps(out, default=str), flush=True)
    return out


PERSON_REGISTERS = (
    "int_person_records__resolved int_person_attributes__candidates master_person_provenance master_person"
)


def registers(label: str, *, full: bool) -> dict[str, Any]:
    """Build the person registers with dbt (without lineage: the bench times the warehouse)."""
    started = time.perf_counter()
    dbt(["run", "--select", PERSON_REGISTERS, *(["--full-refresh"] if full else [])], stack=STACK, lineage=False)
    with connect(STACK) as conn:
        rows = conn.execute("select * from master.master_person order by master_person_id").fetchall()
    out = {"build": label, "wall_s": round(time.perf_counter() - started, 2), "master_persons": len(rows)}
    print(json.dumps(out), flush=True)
    return {**out, "rows": rows}


def xref(stack: Stack) -> pd.Series:
    with connect(stack) as conn:
        rows = conn.execute(
            "select unique_id, master_person_id::text from resolution.person_xref where status = 'active'"
        ).fetchall()
    return pd.Series(dict(rows))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="source records over all departments")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()
    from silobreak.stack import control

    scale = max(100, round(args.records / RECORDS_PER_RESIDENT))
    control.down(STACK)
    shutil.rmtree(STACK.dir, ignore_errors=True)
    control.up(STACK, airflow=False)
    try:
        day0, truth0 = person_records(generate_city(scale, seed=args.seed, day=0))
        put_records(STACK, day0)
        first = timed("day 0, first run (full)")
        registers("day 0, first build", full=True)
        drops, truth1 = person_records(generate_city(scale, seed=args.seed, day=1))
        day1 = next_day(day0, drops)
        truth = pd.concat([truth0, truth1])
        truth = truth[~truth.index.duplicated(keep="last")]
        put_records(STACK, day1)
        incremental = timed("day 1 (incremental)")
        built = registers("day 1 (incremental)", full=False)
        after = xref(STACK)
        full = timed("day 1 again, full with the same model", full=True, retrain=False)
        rebuilt = registers("day 1 again, from scratch", full=True)
        print(
            json.dumps(
                {
                    "summary": True,
                    "person_records": len(day1),
                    "first_run_s": first["wall_s"],
                    "incremental_s": incremental["wall_s"],
                    "full_same_model_s": full["wall_s"],
                    "speedup": round(full["wall_s"] / max(incremental["wall_s"], 0.001), 1),
                    "registers_incremental_s": built["wall_s"],
                    "registers_from_scratch_s": rebuilt["wall_s"],
                    "registers_equal": built["rows"] == rebuilt["rows"],
                    "new": incremental["new"],
                    "changed": incremental["changed"],
                    "gone": incremental["gone"],
                    "affected": incremental["affected"],
                    "full_run_changed_nothing": full["xref_written"] == 0
                    and xref(STACK).sort_index().equals(after.sort_index()),
                    **scoring.pairwise(after, truth).as_dict(),
                }
            ),
            flush=True,
        )
    finally:
        if not args.keep:
            control.down(STACK)
            shutil.rmtree(STACK.dir, ignore_errors=True)


os.environ.setdefault("SILOBREAK_PORT_BASE", "27430")
STACK = Stack("bench")

if __name__ == "__main__":
    main()
