"""Benchmark: how fast the synthetic city's residents are generated, and the process's peak memory (RSS).

    uv run python bench/bench_city.py --rows 1000000 --repeat 3

Target (issue 4): at least 200k records/s on the 2-core build machine. Prints one JSON line per
run and the median, so results can be compared across commits.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

from silobreak.city.residents import generate_residents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rates = []
    for run in range(args.repeat):
        started = time.perf_counter()
        residents = generate_residents(args.rows, seed=args.seed + run)
        elapsed = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # tracemalloc would slow numpy down 20x
        assert len(residents.records) == args.rows
        rates.append(args.rows / elapsed)
        print(
            json.dumps(
                {
                    "run": run,
                    "rows": args.rows,
                    "seconds": round(elapsed, 3),
                    "rows_per_s": round(rates[-1]),
                    "peak_rss_mib": round(peak_kib / 1024),
                }
            )
        )
    print(json.dumps({"median_rows_per_s": round(statistics.median(rates)), "target_rows_per_s": 200_000}))


if __name__ == "__main__":
    main()
