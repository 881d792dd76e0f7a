"""From scored pairs to clusters: trusted IDs first, then each record without one joins the
cluster it matches best, and governance's decisions on reviewed pairs override the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from silobreak.resolution.matching import Thresholds

Pair = tuple[str, str]
_NONE: frozenset[str] = frozenset()


def pair_key(a: str, b: str) -> Pair:
    """A pair in one order, so a decision on (a, b) also holds for (b, a)."""
    return (a, b) if a <= b else (b, a)


@dataclass
class Resolution:
    """``assignment``: one row per record (unique_id, cluster_key, method, match_probability,
    reason); ``review``: the undecided pairs between the thresholds (unique_id_l, unique_id_r,
    match_probability)."""

    assignment: pd.DataFrame
    review: pd.DataFrame


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def resolve(
    features: pd.DataFrame,
    pairs: pd.DataFrame,
    thresholds: Thresholds,
    decisions: Mapping[Pair, bool] | None = None,
) -> Resolution:
    """Cluster the records. ``decisions`` maps a reviewed pair to True (same person) or False."""
    decisions = decisions or {}
    # plain lists: iterating pandas' (Arrow) string columns element by element costs more than the loops
    unique_ids: list[str] = features["unique_id"].tolist()
    trusted = {
        u: t if isinstance(t, str) else None for u, t in zip(unique_ids, features["trusted_id"].tolist(), strict=True)
    }
    links: list[tuple[float, str, str, str]] = []  # probability, a, b, method
    review_rows = []
    columns = (pairs[c].tolist() for c in ("unique_id_l", "unique_id_r", "match_probability"))
    for a, b, p in zip(*columns, strict=True):
        decided = decisions.get(pair_key(a, b)) if decisions else None
        if decided is False:
            continue
        if decided is True:
            links.append((float(p), a, b, "review_accepted"))
        elif p >= thresholds.link:
            links.append((float(p), a, b, "probabilistic"))
        elif p >= thresholds.review:
            review_rows.append((a, b, float(p)))
    for (a, b), same in decisions.items():  # accepted pairs the model no longer proposes
        if same and a in trusted and b in trusted:
            links.append((1.0, a, b, "review_accepted"))
    links.sort(key=lambda x: (-x[0], *pair_key(x[1], x[2])))  # ties in one order, whatever order pairs came in

    # governance's "not the same person" keeps the two records out of one cluster
    rejected: dict[str, set[str]] = {}
    for (a, b), same in decisions.items():
        if not same:
            rejected.setdefault(a, set()).add(b)
            rejected.setdefault(b, set()).add(a)
    cluster: dict[str, str] = {u: f"id:{t}" for u, t in trusted.items() if t}

    def join(records: list[str], key: str) -> bool:
        # a record, once in a cluster, never moves: asking the rejected partners where they are is
        # asking who is in the cluster, without keeping a member set per cluster
        if any(cluster.get(other) == key for r in records for other in rejected.get(r, _NONE)):
            return False
        for r in records:
            cluster[r] = key
        return True

    method: dict[str, tuple[str, float | None, str]] = {u: ("resident_id", None, "valid resident ID") for u in cluster}
    # a record without a trusted ID joins the ID cluster it matches best (links are best first)
    for p, a, b, how in links:
        for mine, other in ((a, b), (b, a)):
            if mine not in cluster and trusted.get(other) and join([mine], cluster[other]):
                method[mine] = (how, p, f"matched {other}")
    # the rest form groups among themselves; a group joins the cluster its best link points to
    forest = _UnionFind()
    for p, a, b, how in links:
        if a not in cluster and b not in cluster and b not in rejected.get(a, _NONE):
            forest.union(a, b)
            method.setdefault(a, (how, p, f"matched {b}"))
            method.setdefault(b, (how, p, f"matched {a}"))
    groups: dict[str, list[str]] = {}
    for u in trusted:
        if u not in cluster:
            groups.setdefault(forest.find(u), []).append(u)
    for p, a, b, how in links:
        for mine, other in ((a, b), (b, a)):
            if mine not in cluster and other in cluster and join(groups[forest.find(mine)], cluster[other]):
                method[mine] = (how, p, f"matched {other}")
    keys = [cluster.get(u) or f"rec:{forest.find(u)}" for u in unique_ids]
    singleton = ("singleton", None, "no match above the link threshold")
    rows = [(u, key, *method.get(u, singleton)) for u, key in zip(unique_ids, keys, strict=True)]
    assignment = pd.DataFrame(rows, columns=["unique_id", "cluster_key", "method", "match_probability", "reason"])
    final = dict(zip(unique_ids, keys, strict=True))
    review = pd.DataFrame(
        [r for r in review_rows if final.get(r[0]) != final.get(r[1])],
        columns=["unique_id_l", "unique_id_r", "match_probability"],
    )
    return Resolution(assignment, review)
