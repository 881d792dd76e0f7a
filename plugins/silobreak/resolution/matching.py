"""Probabilistic matching of person records with Splink on DuckDB, trained without labels.

Why DuckDB and not Splink's Postgres backend: Postgres offers only Levenshtein, while a Chinese
name needs Jaro-Winkler over characters beside the pinyin comparison; the records are copied
into an in-process DuckDB, scored there, and the results written back (ADR 0005).

Every record is scored, but only pairs where at least one side has no trusted resident ID are
returned: two trusted IDs decide for themselves (equal: same person, different: never).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

log = logging.getLogger(__name__)

#: Columns the model compares (see features.prepare).
MODEL_COLUMNS = ("unique_id", "trusted_id", "id_key", "name_s", "name_py", "surname", "birth_date", "gender", "mobile")


@dataclass(frozen=True)
class Thresholds:
    """Match probability at or above ``link``: linked; from ``review`` up to it: governance decides."""

    link: float = 0.95
    review: float = 0.5


def _settings(similarity: str = "jaro_winkler") -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_s"),
            cll.ExactMatchLevel("name_s"),
            cll.ExactMatchLevel("name_py"),  # homophones: 王晓明 / 王小明
            # one look-alike character in a three-character name; Levenshtein where the backend has
            # nothing else (Splink's Postgres backend, measured in bench/bench_resolution.py)
            cll.JaroWinklerLevel("name_s", 0.8) if similarity == "jaro_winkler" else cll.LevenshteinLevel("name_s", 1),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ExactMatch("id_key"),
            name,
            cl.ExactMatch("birth_date"),
            cl.ExactMatch("gender"),
            cl.ExactMatch("mobile"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_key"),
            block_on("birth_date", "surname"),
            block_on("mobile", "surname"),
            block_on("name_py", "birth_date"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["trusted_id"],
        max_iterations=20,
    )


def score_pairs(
    features: pd.DataFrame,
    *,
    review: float,
    seed: int = 1,
    db_api: Any = None,
    similarity: str = "jaro_winkler",
    table: str | None = None,
) -> pd.DataFrame:
    """Pairs (``unique_id_l``, ``unique_id_r``, ``match_probability``) at or above ``review``,
    at least one side without a trusted ID. The model is trained on these records, unsupervised:
    u by random sampling, m by expectation maximisation on two blockings."""
    from splink import DuckDBAPI, Linker, block_on

    frame = features.loc[:, list(MODEL_COLUMNS)]
    if len(frame) < 2:
        return pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability"])
    db_api = db_api or DuckDBAPI()
    # ``table``: the features already stored in the backend's database (another backend than DuckDB)
    source = db_api.register(table if table else frame)
    linker = Linker(source, _settings(similarity), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match([block_on("id_key")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=min(2e6, len(frame) * 20.0), seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("mobile"))
    predictions = linker.inference.predict(threshold_match_probability=review)
    pairs = predictions.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    keep = pairs["trusted_id_l"].isna() | pairs["trusted_id_r"].isna()
    return pairs.loc[keep, ["unique_id_l", "unique_id_r", "match_probability"]].reset_index(drop=True)
