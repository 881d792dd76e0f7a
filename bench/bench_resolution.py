"""Benchmark: entity resolution of the city's person records, scored against the truth.

    uv run python bench/bench_resolution.py --records 100000
    uv run python bench/bench_resolution.py --records 1000000
    uv run python bench/bench_resolution.py --records 1000000 --stage features

Generates the synthetic city at the scale that gives about ``--records`` source records (all six
departments), turns every record that names a person into the shape of
``int_persons__unioned`` (standardised with silobreak.identifiers, the Python twin of the staging
macros), resolves them exactly as the master_data run does (features, Splink on DuckDB,
clustering; no database), and scores the person clusters pairwise against the truth.
Prints one JSON line: records, person mentions, seconds per stage, peak RSS, precision, recall,
F1 (target >= 0.99). ``--stage features`` stops after the features (wall and CPU seconds), for
timing that stage without Splink's memory and minutes. Features and clustering run on one core,
so their CPU seconds are printed too: on a shared machine they vary less than wall time.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import time
import unicodedata

import pandas as pd

from silobreak.city.generate import generate_city
from silobreak.city.model import City
from silobreak.identifiers import normalise_mobile, normalise_resident_id
from silobreak.resolution import clusters, features, matching, scoring

RECORDS_PER_RESIDENT = 5.18  # measured: scale 1M residents = 5.18M records (bench_city_all)

#: feed -> (key, role -> (name, resident ID, mobile, gender, birth date) columns, truth column)
PERSON_COLUMNS: dict[str, tuple[str, dict[str, tuple[str | None, ...]]]] = {
    "public_security__residents": (
        "person_no",
        {"": ("name", "id_card_no", "phone", "gender", "birth_date", "person_id")},
    ),
    "human_resources__settlement_applications": (
        "application_no",
        {"": ("applicant_name", "id_card_no", "phone", None, None, "person_id")},
    ),
    "human_resources__social_insurance": ("record_no", {"": ("name", "id_card_no", None, None, None, "person_id")}),
    "market_regulation__enterprises": (
        "registration_no",
        {
            "": (
                "legal_representative",
                "legal_representative_id_card_no",
                None,
                None,
                None,
                "legal_representative_person_id",
            )
        },
    ),
    "traffic_police__accidents": (
        "party_no",
        {"": ("party_name", "party_id_card_no", "phone", None, None, "person_id")},
    ),
    "health__vaccinations": (
        "record_no",
        {"": ("patient_name", "id_card_no", "phone", "gender", "birth_date", "person_id")},
    ),
    "health__clinic_visits": (
        "visit_no",
        {"": ("patient_name", "id_card_no", "phone", "gender", "birth_date", "person_id")},
    ),
    "civil_affairs__marriages": (
        "registration_no",
        {
            "husband": ("husband_name", "husband_id_card_no", None, None, None, "husband_person_id"),
            "wife": ("wife_name", "wife_id_card_no", None, None, None, "wife_person_id"),
        },
    ),
    "civil_affairs__subsidies": ("subsidy_no", {"": ("name", "id_card_no", None, None, None, "person_id")}),
}

_DATE = re.compile(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})")


def _date(value: object) -> object:
    if not isinstance(value, str):
        return None
    found = _DATE.search(unicodedata.normalize("NFKC", value))
    if not found:
        return None
    try:
        return pd.Timestamp(int(found.group(1)), int(found.group(2)), int(found.group(3))).date()
    except ValueError:
        return None


def person_records(city: City) -> tuple[pd.DataFrame, pd.Series]:
    """The city's person mentions in the union's shape, and the true person of each (by record key)."""
    frames, truths = [], []
    for table in city.tables:
        spec = PERSON_COLUMNS.get(table.feed)
        if spec is None:
            continue
        key, roles = spec
        rec = table.records.drop_duplicates(key, keep="last")
        truth = table.truth.drop_duplicates(key, keep="last").set_index(key)
        for role, (name, rid, phone, gender, birth, truth_col) in roles.items():
            n = len(rec)
            frame = pd.DataFrame(
                {
                    "source_department": table.department,
                    "source_feed": table.feed,
                    "source_record": rec[key].astype(str).to_numpy(),
                    "source_role": role,
                    "source_batch": "bench",
                    "resident_id": [normalise_resident_id(v) if isinstance(v, str) else None for v in rec[rid]],
                    "person_name": rec[name].to_numpy() if name else [None] * n,
                    "gender": rec[gender].to_numpy() if gender else [None] * n,
                    "birth_date": [_date(v) for v in rec[birth]] if birth else [None] * n,
                    "mobile": [normalise_mobile(v) if isinstance(v, str) else None for v in rec[phone]]
                    if phone
                    else [None] * n,
                    "address": None,
                    "source_updated_at": None,
                }
            )
            keys = [features.record_key(table.feed, r, role) for r in frame["source_record"]]
            truths.append(pd.Series(truth[truth_col].reindex(rec[key]).to_numpy(), index=keys))
            frames.append(frame)
    return pd.concat(frames, ignore_index=True), pd.concat(truths)


def _backend(name: str, prepared: pd.DataFrame) -> dict[str, object]:
    if name == "duckdb":
        return {}
    from splink.internals.postgres.database_api import PostgresAPI
    from sqlalchemy import create_engine

    from silobreak.settings import WAREHOUSE_DB, current_stack

    engine = create_engine(current_stack().url(WAREHOUSE_DB, "postgresql+psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema if not exists splink_bench")
    prepared.loc[:, list(matching.MODEL_COLUMNS)].to_sql(
        "person_features", engine, schema="splink_bench", if_exists="replace", index=False
    )

    class _PostgresAPI(PostgresAPI):  # type: ignore[misc]
        """Splink registers frames through DuckDB's postgres extension, which it downloads at run
        time (no network here), and its fallback misses that error: write with pandas instead."""

        def _table_registration(self, input: object, table_name: str) -> None:
            frame = input if isinstance(input, pd.DataFrame) else pd.DataFrame(input)
            frame.to_sql(table_name, con=self._engine, schema=self._db_schema, index=False, if_exists="replace")

    return {
        "db_api": _PostgresAPI(engine, schema="splink_bench"),
        "similarity": "levenshtein",
        "table": "person_features",  # found through the search path: the backend schema
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="source records over all departments")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--link", type=float, default=matching.Thresholds.link)
    parser.add_argument("--review", type=float, default=matching.Thresholds.review)
    parser.add_argument(
        "--backend",
        choices=["duckdb", "postgres"],
        default="duckdb",
        help="postgres: Splink's Postgres backend on the running stack's warehouse (SILOBREAK_STACK), "
        "with Levenshtein for names since it has no Jaro-Winkler",
    )
    parser.add_argument(
        "--stage", choices=["all", "features"], default="all", help="features: time feature computation only"
    )
    args = parser.parse_args()
    scale = max(100, round(args.records / RECORDS_PER_RESIDENT))
    city = generate_city(scale, seed=args.seed, day=0)
    records, truth = person_records(city)
    timings = {}
    started, cpu = time.perf_counter(), time.process_time()
    prepared = features.prepare(records)
    timings["features_s"] = time.perf_counter() - started
    features_cpu_s = round(time.process_time() - cpu, 2)
    if args.stage == "features":
        print(
            json.dumps(
                {
                    "scale": scale,
                    "source_records": city.record_count,
                    "person_mentions": len(records),
                    "features_s": round(timings["features_s"], 2),
                    "features_cpu_s": features_cpu_s,
                    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                }
            ),
            flush=True,
        )
        return
    started = time.perf_counter()
    pairs = matching.score_pairs(prepared, review=args.review, **_backend(args.backend, prepared))
    timings["splink_s"] = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    result = clusters.resolve(prepared, pairs, matching.Thresholds(link=args.link, review=args.review))
    timings["cluster_s"] = time.perf_counter() - started
    cluster_cpu_s = round(time.process_time() - cpu, 2)
    predicted = result.assignment.set_index("unique_id")["cluster_key"]
    score = scoring.pairwise(predicted, truth)
    print(
        json.dumps(
            {
                "backend": args.backend,
                "scale": scale,
                "source_records": city.record_count,
                "person_mentions": len(records),
                "without_trusted_id": int(prepared["trusted_id"].isna().sum()),
                "pairs_scored": len(pairs),
                "review_queue": len(result.review),
                **{k: round(v, 2) for k, v in timings.items()},
                "features_cpu_s": features_cpu_s,
                "cluster_cpu_s": cluster_cpu_s,
                "er_s": round(sum(timings.values()), 2),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                **score.as_dict(),
                "target_f1": 0.99,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
