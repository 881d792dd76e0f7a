"""Benchmark: how fast the whole synthetic city (all six departments) is generated, and peak memory (RSS).

    uv run python bench/bench_city_all.py --scale 1000000 --repeat 1

``--scale`` is the number of household-register residents; the other tables
follow (about five records per resident in all). Measures ``generate_city``
only (no database or object store). Target (issue 4): at least 200k records/s
over all tables on the 2-core build machine. Prints one JSON line per run
(records per table, seconds, records/s, peak RSS) and the median.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

from silobreak.city.generate import generate_city


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1_000_000, help="household-register residents")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--day", type=int, default=0)
    args = parser.parse_args()
    rates = []
    for run in range(args.repeat):
        started = time.perf_counter()
        city = generate_city(args.scale, seed=args.seed + run, day=args.day)
        elapsed = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # tracemalloc would slow numpy down
        records = city.record_count
        rates.append(records / elapsed)
        print(
            json.dumps(
                {
                    "run": run,
                    "scale": args.scale,
                    "day": args.day,
                    "records": records,
                    "tables": {t.name: len(t.records) for t in city.tables},
                    "seconds": round(elapsed, 3),
                    "records_per_s": round(rates[-1]),
                    "peak_rss_mib": round(peak_kib / 1024),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        del city  # the next run's peak RSS should not include this city
    print(json.dumps({"median_records_per_s": round(statistics.median(rates)), "target_records_per_s": 200_000}))


if __name__ == "__main__":
    main()
