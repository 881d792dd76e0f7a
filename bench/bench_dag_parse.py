"""Benchmark: how long Airflow takes to parse the DAG file with N feed contracts.

    uv run python bench/bench_dag_parse.py --feeds 50 --repeat 5

Each run is a fresh interpreter doing what Airflow's dag-processor does for dags/feeds.py
(import + DagBag fill), so start-up costs count. Prints one JSON line per run and the median;
Airflow's default dagbag_import_timeout is 30 s, and the guide's aim is well under a second of
our own work per file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PROBE = """
import time, json
started = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
imported = time.perf_counter()
bag = DagBag(dag_folder="{dags}")
done = time.perf_counter()
assert not bag.import_errors, bag.import_errors
print(json.dumps({{"dags": len(bag.dags), "airflow_import_s": imported - started, "parse_s": done - imported}}))
"""


def write_contracts(folder: Path, feeds: int) -> None:
    template = yaml.safe_load((REPO / "contracts" / "feeds" / "public_security__residents.yml").read_text())
    for n in range(feeds):
        contract = dict(template, department=f"department_{n:03d}", suite=f"department_{n:03d}__residents")
        (folder / f"department_{n:03d}__residents.yml").write_text(yaml.safe_dump(contract, allow_unicode=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_contracts(Path(tmp), args.feeds)
        env = {**os.environ, "SILOBREAK_CONTRACTS_DIR": tmp}
        runs = []
        for run in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", PROBE.format(dags=REPO / "dags")],
                env=env, capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            result = json.loads(out.strip().splitlines()[-1])
            runs.append(result["parse_s"])
            print(
                json.dumps(
                    {
                        "run": run,
                        "feeds": args.feeds,
                        **{k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()},
                    }
                )
            )
    print(json.dumps({"feeds": args.feeds, "median_parse_s": round(statistics.median(runs), 3)}))


if __name__ == "__main__":
    main()
