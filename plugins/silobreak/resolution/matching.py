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


#: Which records are compared at all: those equal on one of these column sets.
BLOCKING_KEYS = (("id_key",), ("birth_date", "surname"), ("mobile", "surname"), ("name_py", "birth_date"))


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
        blocking_rules_to_generate_predictions=[block_on(*key) for key in BLOCKING_KEYS],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["trusted_id"],
        max_iterations=20,
    )


def fit(
    features: pd.DataFrame,
    *,
    seed: int = 1,
    db_api: Any = None,
    similarity: str = "jaro_winkler",
    table: str | None = None,
) -> Any:
    """A Splink linker over ``features``, trained on them without labels: u by random sampling,
    m by expectation maximisation on two blockings."""
    from splink import DuckDBAPI, Linker, block_on

    db_api = db_api or DuckDBAPI()
    # ``table``: the features already stored in the backend's database (another backend than DuckDB)
    source = db_api.register(table if table else _model_frame(features))
    linker = Linker(source, _settings(similarity), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match([block_on("id_key")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=min(2e6, len(features) * 20.0), seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("mobile"))
    return linker


def model_of(linker: Any) -> dict[str, Any]:
    """The trained model as JSON-able settings (what ``resolution.models`` keeps)."""
    return dict(linker.misc.save_model_to_json())


def trained(features: pd.DataFrame, model: dict[str, Any]) -> Any:
    """A linker over ``features`` that scores with an earlier trained ``model``, without training."""
    from splink import DuckDBAPI, Linker

    return Linker(DuckDBAPI().register(_model_frame(features)), model, log_level=logging.WARNING)


def predict(linker: Any, *, review: float) -> pd.DataFrame:
    """Every pair the blocking rules propose, at or above ``review``, one side without a trusted ID."""
    return _untrusted(linker.inference.predict(threshold_match_probability=review, warning_mode="never"))


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
    at least one side without a trusted ID, from a model trained on these same records."""
    if len(features) < 2:
        return no_pairs()
    return predict(fit(features, seed=seed, db_api=db_api, similarity=similarity, table=table), review=review)


def score_new(new: pd.DataFrame, existing: pd.DataFrame, model: dict[str, Any], *, review: float) -> pd.DataFrame:
    """The pairs a day's new or changed records make, among themselves and with ``existing``
    records, scored by an earlier trained ``model``: the same pairs and probabilities a run over
    all records with that model gives for them, without comparing existing records again."""
    from splink import DuckDBAPI, Linker, block_on

    if new.empty:
        return no_pairs()
    db_api = DuckDBAPI()
    options: dict[str, Any] = {
        "blocking_rules_to_generate_predictions": [block_on(*key) for key in BLOCKING_KEYS],
        "threshold_match_probability": review,
        "warning_mode": "never",
    }
    left = db_api.register(_model_frame(new), table_name="new_records")
    linker = Linker(left, model, log_level=logging.WARNING)
    found = [_untrusted(linker.inference.predict_within(left, **options))]
    if not existing.empty:
        right = db_api.register(_model_frame(existing), table_name="existing_records")
        found.append(_untrusted(linker.inference.predict_between(left, right, **options)))
    return pd.concat(found, ignore_index=True)


def _model_frame(features: pd.DataFrame) -> pd.DataFrame:
    # text columns typed as text even when a small frame holds only nulls in one, so DuckDB
    # compares them with the other side's text
    return features.loc[:, list(MODEL_COLUMNS)].astype("string")


def no_pairs() -> pd.DataFrame:
    return _untrusted(None)


def _untrusted(predictions: Any) -> pd.DataFrame:
    """Pairs where at least one side has no trusted ID: two trusted IDs decide for themselves."""
    columns = ["unique_id_l", "unique_id_r", "match_probability"]
    if predictions is None:
        return pd.DataFrame(columns=columns)
    pairs = predictions.as_pandas_dataframe()
    keep = pairs["trusted_id_l"].isna() | pairs["trusted_id_r"].isna()
    out = pairs.loc[keep, columns].reset_index(drop=True)
    out["unique_id_l"] = out["unique_id_l"].astype(object)
    out["unique_id_r"] = out["unique_id_r"].astype(object)
    out["match_probability"] = out["match_probability"].astype(float)
    return out
