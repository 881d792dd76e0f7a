"""Stable master ids: a cluster keeps the id most of its records had on the previous run.

Each previous id goes to at most one cluster (the one holding most of its records); a cluster
that gathers records of several previous ids keeps the id of the majority and records the
others as merged into it; a previous id whose records now fall into several clusters is split,
and the clusters that did not keep it get new ids. New ids are derived from the cluster's key
(uuid5), so a rerun from scratch gives the same ids.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

NAMESPACE = uuid.UUID("6f1c1f0e-8a43-5b1e-9a57-3c6f2b9e0d11")


@dataclass
class IdAssignment:
    """``ids``: cluster key -> master id; ``events``: merges and splits (kind, master_id, other_id,
    detail)."""

    ids: dict[str, str]
    events: list[tuple[str, str, str, str]] = field(default_factory=list)


def new_id(cluster_key: str, kind: str = "person") -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{cluster_key}"))


def carry(
    assignment: pd.DataFrame,
    previous: Mapping[str, str],
    kind: str = "person",
    issued: Collection[str] = (),
) -> IdAssignment:
    """Give each cluster of ``assignment`` (unique_id, cluster_key) a master id, carrying ids over
    from ``previous`` (unique_id -> master id of the last run). ``issued``: ids held elsewhere,
    which a new cluster must not take (an incremental run sees only part of the records)."""
    votes: dict[str, Counter[str]] = {}
    spread: dict[str, set[str]] = {}
    for u, key in zip(assignment["unique_id"], assignment["cluster_key"], strict=True):
        old = previous.get(u)
        votes.setdefault(key, Counter())
        if old:
            votes[key][old] += 1
            spread.setdefault(old, set()).add(key)
    candidates = sorted(
        ((count, key, old) for key, counter in votes.items() for old, count in counter.items()),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for _, key, old in candidates:
        if key not in ids and old not in taken:
            ids[key] = old
            taken.add(old)
    issued = set(previous.values()) | set(issued)
    result = IdAssignment(ids)
    for key in votes:
        if key not in ids:
            fresh = new_id(key, kind)
            ids[key] = fresh if fresh not in issued else new_id(f"{key}|after:{sorted(votes[key])}", kind)
    for key, counter in votes.items():
        for old in counter:
            if old != ids[key] and old not in taken:
                result.events.append(("merge", ids[key], old, f"records of {old} now resolve to {ids[key]}"))
    for old, keys in spread.items():
        if len(keys) > 1:
            for key in sorted(keys):
                if ids[key] != old:
                    result.events.append(("split", ids[key], old, f"part of {old}'s records form {ids[key]}"))
    return result
