"""Pairwise precision, recall and F1 of clusters against a known truth (tests and benchmarks only:
the pipeline never sees the truth)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped, unused-ignore]


@dataclass(frozen=True)
class PairwiseScore:
    """Counts of record pairs: predicted together, truly together, both."""

    predicted: int
    true: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "pairs_predicted": self.predicted,
            "pairs_true": self.true,
            "pairs_correct": self.correct,
            "precision": round(self.precision, 5),
            "recall": round(self.recall, 5),
            "f1": round(self.f1, 5),
        }


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise(predicted: pd.Series, truth: pd.Series) -> PairwiseScore:
    """Score two labelings of the same records (index: record key; values: cluster / person id)."""
    frame = pd.DataFrame({"p": predicted, "t": truth}).dropna()
    return PairwiseScore(
        predicted=_pairs(frame.groupby("p").size()),
        true=_pairs(frame.groupby("t").size()),
        correct=_pairs(frame.groupby(["p", "t"]).size()),
    )


def truth_column(columns: list[str], role: str) -> str | None:
    """The truth column naming the person of a (feed, role): ``<role>_person_id``, else the feed's
    only person column (``person_id``, ``legal_representative_person_id``)."""
    if role and f"{role}_person_id" in columns:
        return f"{role}_person_id"
    persons = [c for c in columns if c.endswith("person_id")]
    return "person_id" if "person_id" in persons else (persons[0] if len(persons) == 1 else None)


def true_persons(truth_dir: Path, keys: pd.DataFrame) -> pd.Series:
    """The true person of each (source_feed, source_record, source_role) in ``keys``, from the city's
    truth files (``<truth_dir>/<feed>/<date>.parquet``, the latest day wins); index: record key."""
    from silobreak.resolution.features import record_key

    out = []
    for (feed, role), group in keys.groupby(["source_feed", "source_role"]):
        files = sorted((truth_dir / str(feed)).glob("*.parquet"))
        if not files:
            continue
        truth = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        key = truth.columns[0]
        column = truth_column(list(truth.columns), str(role))
        if column is None:
            continue
        truth = truth.drop_duplicates(key, keep="last")
        truth = truth.set_index(truth[key].astype(str))[column]
        records = group["source_record"].astype(str)
        out.append(
            pd.Series(
                truth.reindex(records).to_numpy(),
                index=[record_key(str(feed), r, str(role)) for r in records],
            )
        )
    return pd.concat(out) if out else pd.Series(dtype=object)
