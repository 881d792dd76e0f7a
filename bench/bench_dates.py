"""Benchmark: dates checked per second by ``silobreak.dates.valid_dates`` (the valid-date expectation).

    uv run python bench/bench_dates.py --rows 1000000 --repeat 3

The values are what the city's departments write: ISO days, and a share of ``2024/01/05``,
``20240105``, ``2024年1月5日`` and full-width forms, with a few impossible days. Prints one JSON line
per run and the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd

from silobreak.city.defects import DEFECTS
from silobreak.city.variation import VARIATIONS
from silobreak.dates import valid_dates


def values(rows: int, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = np.datetime64("1940-01-01") + rng.integers(0, 31_000, rows).astype("timedelta64[D]")
    out = np.array([str(d) for d in days], dtype=object)
    varied = rng.random(rows) < 0.06
    out[varied] = VARIATIONS["date_format"].apply(out[varied], rng)
    wide = rng.random(rows) < 0.01
    out[wide] = VARIATIONS["fullwidth_digits"].apply(out[wide], rng)
    broken = (rng.random(rows) < 0.005) & ~varied & ~wide
    out[broken] = DEFECTS["impossible_date"].apply(out[broken], "date", rng, ())
    return pd.Series(out, dtype=object)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    series = values(args.rows)
    rates = []
    for run in range(args.repeat):
        started = time.perf_counter()
        valid = valid_dates(series)
        seconds = time.perf_counter() - started
        rates.append(args.rows / seconds)
        print(json.dumps({"run": run, "rows": args.rows, "seconds": round(seconds, 3), "invalid": int((~valid).sum())}))
    print(json.dumps({"rows": args.rows, "median_rows_per_s": round(statistics.median(rates))}))


if __name__ == "__main__":
    main()
