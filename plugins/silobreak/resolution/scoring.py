"""Pairwise precision, recall and F1 of clusters against a known truth (tests and benchmarks only:
the pipeline never sees the truth)."""

from __future__ import annotations

from dataclasses import dataclass

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
