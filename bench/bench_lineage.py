"""Benchmark: lineage service ingest throughput and read latency as history grows.

    SILOBREAK_STACK=test uv run python bench/bench_lineage.py --datasets 10000 --events 100000

Needs the stack's Postgres running (``silobreak up``). Starts its own lineage service (uvicorn, on
the stack's lineage port + 5) on a fresh database ``lineage_bench``, then sends START/COMPLETE
pairs of synthetic jobs in layers (each job reads two datasets of the layer before and writes one,
with schema and column lineage) through openlineage-python's HTTP transport from 4 threads.
Measures events/s, then p50/p95 of ``GET /api/v1/lineage`` (depth 3) and ``/api/v1/column-lineage``
(depth 3) for random datasets. Target (issue 8): p95 < 100 ms at depth 3.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from silobreak.settings import Stack, current_stack

NS = "postgres://bench:5432"
COLUMNS = ["id", "name", "amount", "day", "source"]


def _dataset(name: str, lineage_from: list[str] | None) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "schema": {
            "_producer": "bench",
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
            "fields": [{"name": c, "type": "text"} for c in COLUMNS],
        }
    }
    if lineage_from:
        facets["columnLineage"] = {
            "_producer": "bench",
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
            "fields": {
                c: {
                    "inputFields": [
                        {
                            "namespace": NS,
                            "name": s,
                            "field": c,
                            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                        }
                        for s in lineage_from
                    ]
                }
                for c in COLUMNS
            },
        }
    return {"namespace": NS, "name": name, "facets": facets}


def _events(datasets: int, events: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    width = max(datasets // 10, 2)
    names = [f"db.layer{i // width}.t{i}" for i in range(datasets)]
    previous = [(i - width) // width * width for i in range(datasets)]  # first dataset of the layer before
    jobs = [
        (f"job_{i}", [names[previous[i] + rng.randrange(width)], names[i - width]], names[i])
        for i in range(width, datasets)
    ]
    out = []
    while len(out) < events:
        job, inputs, output = jobs[len(out) // 2 % len(jobs)]
        run_id = str(uuid.uuid4())
        for kind in ("START", "COMPLETE"):
            out.append(
                {
                    "eventType": kind,
                    "eventTime": datetime.now(UTC).isoformat(),
                    "producer": "https://github.com/silobreak/silobreak/bench",
                    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                    "run": {"runId": run_id},
                    "job": {"namespace": "bench", "name": job},
                    "inputs": [_dataset(i, None) for i in inputs],
                    "outputs": [_dataset(output, inputs if kind == "COMPLETE" else None)],
                }
            )
    return out[:events]


def _p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--queries-only", action="store_true", help="keep lineage_bench as the last run left it; only time reads"
    )
    args = parser.parse_args()
    stack: Stack = current_stack()
    if not args.queries_only:
        with psycopg.connect(stack.dsn("postgres"), autocommit=True) as conn:
            conn.execute("drop database if exists lineage_bench")
            conn.execute("create database lineage_bench")
    port = stack.port("lineage") + 5
    env = {**os.environ, "SILOBREAK_LINEAGE_DSN": stack.dsn("lineage_bench")}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "silobreak.lineage.service:app", "--port", str(port),
         "--log-level", "warning"], env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {stack.credentials.lineage_token}"}
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        events = _events(args.datasets, args.events, seed=1)
        clients = [httpx.Client(base_url=url, headers=headers, timeout=60) for _ in range(args.threads)]
        chunks = [events[i :: args.threads] for i in range(args.threads)]

        def send(i: int) -> None:
            for event in chunks[i]:
                clients[i].post("/api/v1/lineage", json=event).raise_for_status()

        started = time.perf_counter()
        if not args.queries_only:
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(send, range(args.threads)))
        ingest = time.perf_counter() - started
        rate = None if args.queries_only else round(args.events / ingest)
        print(json.dumps({"events": args.events, "ingest_events_per_s": rate}), flush=True)
        api = clients[0]
        written = sorted({e["outputs"][0]["name"] for e in events})
        rng = random.Random(2)  # noqa: S311 - picking datasets to query
        graph_times, column_times, sizes = [], [], []
        for _ in range(args.queries):
            name = rng.choice(written)
            t = time.perf_counter()
            found = api.get("/api/v1/lineage", params={"nodeId": f"dataset:{NS}:{name}", "depth": 3}).json()
            graph_times.append(time.perf_counter() - t)
            sizes.append(len(found["graph"]))
            t = time.perf_counter()
            api.get("/api/v1/column-lineage", params={"nodeId": f"datasetField:{NS}:{name}:id", "depth": 3})
            column_times.append(time.perf_counter() - t)
        print(
            json.dumps(
                {
                    "datasets": args.datasets,
                    "events": args.events,
                    "ingest_events_per_s": rate,
                    "lineage_depth3_ms": {
                        "p50": round(_p(graph_times, 0.5), 1),
                        "p95": round(_p(graph_times, 0.95), 1),
                    },
                    "lineage_nodes_median": statistics.median(sizes),
                    "column_lineage_depth3_ms": {
                        "p50": round(_p(column_times, 0.5), 1),
                        "p95": round(_p(column_times, 0.95), 1),
                    },
                }
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
