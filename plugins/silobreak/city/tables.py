"""How a department table comes to be, and how it changes from day to day.

A department module describes each of its tables with a :class:`TableSpec`
(columns and their types, which columns refer to persons or enterprises,
which defects and variations can occur where) and a :class:`TableModel` that
produces canonical rows (a :class:`Batch`: the values as they would be if
everyone typed perfectly) and changes them. This module does the rest, the
same way for every table: inject defects at the configured rate, inject
variations, number the records in the order they were created, write the
truth beside them, and replay the days: deletes, updates and inserts, each
from its own random stream so that day N is always the same day N.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city.arrays import (
    BoolArray,
    IntArray,
    ObjArray,
    day_window,
    objects,
    pick,
    split_counts,
    timestamps,
)
from silobreak.city.defects import DEFECTS
from silobreak.city.model import Delivery, FileFormat, SourceTable
from silobreak.city.variation import VARIATIONS, Variation
from silobreak.city.world import World

__all__ = [
    "TRUTH_TAIL",
    "Batch",
    "TableModel",
    "TableSpec",
    "TableState",
    "build_table",
    "realise",
]

#: Truth columns after the key and the entity references.
TRUTH_TAIL: tuple[str, ...] = ("defect", "defect_column", "variation", "variation_column", "first_day", "last_day")


@dataclass(frozen=True)
class TableSpec:
    """Everything about a department table that is declared rather than computed.

    ``columns`` are (name, type) in the department's order, key first and
    ``updated_at`` last. ``refs`` are the truth columns naming the entity
    behind each reference (``*person_id`` or ``*enterprise_id``).
    ``value_kinds`` tells the defects what a column holds (``resident_id``,
    ``credit_code``, ``date``, ``month``). ``defects`` maps each defect kind
    to the columns it may hit (``duplicate`` to none: it copies rows);
    ``defect_rate`` is split evenly among the kinds. ``variations`` are
    (kind, column, share of rows). ``domains`` are the valid values of coded
    columns and ``bogus`` their out-of-domain values. The ``*_rate`` are
    shares of the table changed per day.
    """

    department: str
    entity: str
    key: str
    delivery: Delivery
    columns: tuple[tuple[str, str], ...]
    refs: tuple[str, ...]
    defects: Mapping[str, tuple[str, ...]]
    variations: tuple[tuple[str, str, float], ...] = ()
    value_kinds: Mapping[str, str] = field(default_factory=dict)
    domains: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bogus: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    file_format: FileFormat | None = None
    encoding: str | None = None
    bom: bool = False
    insert_rate: float = 0.004
    update_rate: float = 0.006
    delete_rate: float = 0.001

    @property
    def feed(self) -> str:
        return f"{self.department}__{self.entity}"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def truth_columns(self) -> list[str]:
        return [self.key, *self.refs, *TRUTH_TAIL]


@dataclass
class Batch:
    """Canonical rows of a table: every column but the key and ``updated_at``, and the entity behind each.

    ``refs`` holds entity indices (persons or enterprises, -1 for none) per
    truth column; ``created`` and ``updated`` are UTC epoch seconds. Columns
    whose name starts with ``_`` are not delivered: they carry what the key
    builder needs (a district, a date). Every array must be the batch's own
    (fancy-indexed, not a view of the world's arrays): defects and variations
    are written into them in place.
    """

    columns: dict[str, np.ndarray]
    refs: dict[str, IntArray]
    created: IntArray
    updated: IntArray

    def __len__(self) -> int:
        return int(self.created.size)

    def take(self, rows: IntArray) -> Batch:
        return Batch(
            columns={k: v[rows] for k, v in self.columns.items()},
            refs={k: v[rows] for k, v in self.refs.items()},
            created=self.created[rows],
            updated=self.updated[rows],
        )

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        first = batches[0]
        return Batch(
            columns={k: np.concatenate([b.columns[k] for b in batches]) for k in first.columns},
            refs={k: np.concatenate([b.refs[k] for b in batches]) for k in first.refs},
            created=np.concatenate([b.created for b in batches]),
            updated=np.concatenate([b.updated for b in batches]),
        )


@dataclass
class TableState:
    """A table on some day: records (without ``updated_at``), their update times, truth, deletions."""

    records: pd.DataFrame
    updated: IntArray
    truth: pd.DataFrame
    deleted: list[pd.DataFrame]
    next_serial: int


class TableModel(ABC):
    """What a department module provides for one table (see the module docstring)."""

    spec: TableSpec

    @abstractmethod
    def base(self, world: World, rng: np.random.Generator) -> Batch:
        """The canonical rows as they stand on day 0, created and updated before it."""

    @abstractmethod
    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        """About ``count`` new canonical rows, created and updated within ``day``'s window."""

    @abstractmethod
    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """New values of some columns for ``rows`` (an update on ``day``), as arrays in row order.

        ``truth`` is row-aligned with ``rows`` (who the rows are about).
        """

    @abstractmethod
    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        """Keys of rows numbered ``serial`` in creation order (``existing``: the keys already used)."""

    def initial(self, world: World) -> TableState | None:
        """The day-0 state, for tables made elsewhere (the household register); None: from :meth:`base`."""
        return None

    def present(self, world: World, records: pd.DataFrame, truth: pd.DataFrame, day: int) -> pd.DataFrame:
        """The records as delivered on ``day`` (added columns happen here); ``truth`` is row-aligned."""
        return records

    def renames(self, day: int) -> dict[str, str]:
        """Columns delivered under another name on ``day`` (schema drift), old name to new."""
        return {}


# --------------------------------------------------------------------------
# Defects, variations, keys and truth for a batch of new rows.
# --------------------------------------------------------------------------


def _choose_columns(
    spec: TableSpec, kind: str, batch: Batch, rows: IntArray, rng: np.random.Generator
) -> tuple[IntArray, ObjArray]:
    """For each row, a random column of the defect kind that can take it; rows with none are dropped."""
    columns = spec.defects[kind]
    defect = DEFECTS[kind]
    ok = np.stack([defect.eligible(batch.columns[c][rows], spec.value_kinds.get(c, "text")) for c in columns], axis=1)
    score = np.where(ok, rng.random(ok.shape), -1.0)
    best = np.argmax(score, axis=1)
    keep = ok[np.arange(rows.size), best]
    names = np.array(columns, dtype=object)[best]
    return rows[keep], names[keep]


def _inject_defects(
    spec: TableSpec, batch: Batch, rng: np.random.Generator, rate: float
) -> tuple[ObjArray, ObjArray, IntArray, BoolArray]:
    """Break rows in place; returns the defect and its column per row, duplicate sources, rows taken."""
    n = len(batch)
    defect = np.full(n, None, dtype=object)
    defect_column = np.full(n, None, dtype=object)
    taken = np.zeros(n, dtype=np.bool_)
    kinds = list(spec.defects)
    counts = split_counts(round(n * rate), len(kinds)) if kinds else []
    n_duplicates = 0
    for kind, count in zip(kinds, counts, strict=True):
        if kind == "duplicate":
            n_duplicates = count
            continue
        impl = DEFECTS[kind]
        columns = spec.defects[kind]

        def eligible(rows: IntArray, impl: Any = impl, columns: tuple[str, ...] = columns) -> BoolArray:
            ok = np.zeros(rows.size, dtype=np.bool_)
            for c in columns:
                ok |= impl.eligible(batch.columns[c][rows], spec.value_kinds.get(c, "text"))
            return ok

        rows = pick(rng, np.flatnonzero(~taken), count, eligible)
        rows, names = _choose_columns(spec, kind, batch, rows, rng)
        for column in dict.fromkeys(names.tolist()):
            hit = rows[names == column]
            values = batch.columns[column]
            values[hit] = impl.apply(values[hit], spec.value_kinds.get(column, "text"), rng, spec.bogus.get(column, ()))
        defect[rows] = kind
        defect_column[rows] = names
        taken[rows] = True
    sources = pick(rng, np.flatnonzero(~taken), n_duplicates)
    taken[sources] = True
    return defect, defect_column, np.sort(sources), taken


def _inject_variations(
    spec: TableSpec, batch: Batch, rng: np.random.Generator, taken: BoolArray
) -> tuple[ObjArray, ObjArray]:
    """Vary rows (in place) that carry no defect; at most one variation per row."""
    n = len(batch)
    variation = np.full(n, None, dtype=object)
    variation_column = np.full(n, None, dtype=object)
    for kind, column, share in spec.variations:
        impl = VARIATIONS[kind]
        values = batch.columns[column]

        def eligible(rows: IntArray, values: np.ndarray = values, impl: Variation = impl) -> BoolArray:
            return impl.eligible(values[rows])

        rows = pick(rng, np.flatnonzero(~taken), round(n * share), eligible)
        if rows.size:
            values[rows] = impl.apply(values[rows], rng)
        variation[rows] = kind
        variation_column[rows] = column
        taken[rows] = True
    return variation, variation_column


def realise(
    model: TableModel,
    world: World,
    batch: Batch,
    rng: np.random.Generator,
    *,
    day: int,
    serial_start: int,
    existing_keys: Any = None,
) -> tuple[pd.DataFrame, IntArray, pd.DataFrame]:
    """Turn canonical rows into records as the department holds them, and their truth.

    Returns records (without ``updated_at``, ordered by creation), their
    update times and the truth, all in the same row order.
    """
    spec = model.spec
    defect, defect_column, sources, taken = _inject_defects(spec, batch, rng, world.defect_rate)
    variation, variation_column = _inject_variations(spec, batch, rng, taken)

    rows = np.arange(len(batch), dtype=np.int64)
    created, updated = batch.created, batch.updated
    if sources.size:
        # The same thing entered again some hours or days later, under a new key.
        _, end = day_window(day)
        delay = rng.integers(3600, 30 * 86400, sources.size)
        copy_created = np.minimum(created[sources] + delay, end - 2)
        copy_updated = copy_created + np.floor(rng.random(sources.size) * (end - 1 - copy_created)).astype(np.int64)
        rows = np.concatenate([rows, sources])
        created = np.concatenate([created, copy_created])
        updated = np.concatenate([updated, np.maximum(copy_updated, copy_created)])
        defect = np.concatenate([defect, np.full(sources.size, "duplicate", dtype=object)])
        defect_column = np.concatenate([defect_column, np.full(sources.size, None, dtype=object)])
        variation = np.concatenate([variation, np.full(sources.size, None, dtype=object)])
        variation_column = np.concatenate([variation_column, np.full(sources.size, None, dtype=object)])

    # One gather per column puts the rows (and the copies) in the order they were created.
    order = np.argsort(created, kind="stable")
    gathered = batch.take(rows[order])
    batch = Batch(gathered.columns, gathered.refs, created[order], updated[order])
    serial = np.arange(serial_start, serial_start + len(batch), dtype=np.int64)
    keys = model.keys(batch, serial, rng, existing_keys)

    records = _frame(spec, keys, batch.columns)
    truth = pd.DataFrame(
        {
            spec.key: objects(keys),
            **{ref: objects(_ref_ids(world, ref, idx)) for ref, idx in batch.refs.items()},
            "defect": objects(defect[order]),
            "defect_column": objects(defect_column[order]),
            "variation": objects(variation[order]),
            "variation_column": objects(variation_column[order]),
            "first_day": np.full(len(batch), day, dtype=np.int64),
            "last_day": np.full(len(batch), day, dtype=np.int64),
        },
        columns=spec.truth_columns,
        copy=False,
    )
    return records, batch.updated, truth


def _ref_ids(world: World, ref: str, index: IntArray) -> ObjArray:
    if ref.endswith("enterprise_id"):
        return world.enterprise_ids(index)
    return world.person_ids(index)


def _frame(spec: TableSpec, keys: ObjArray, columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name, kind in spec.columns:
        if name == "updated_at":
            continue
        values = keys if name == spec.key else columns[name]
        if kind in ("text", "date"):
            data[name] = objects(values)
        elif kind == "timestamptz":
            data[name] = timestamps(np.asarray(values, dtype=np.int64))
        else:
            data[name] = pd.Series(values)
    return pd.DataFrame(data, copy=False)  # no consolidation into one 2-D block: no copy


# --------------------------------------------------------------------------
# Days.
# --------------------------------------------------------------------------


def _count(rate: float, n: int) -> int:
    return max(1, round(rate * n)) if n else 0


def _delete(spec: TableSpec, state: TableState, rng: np.random.Generator, day: int) -> None:
    n = len(state.records)
    count = min(_count(spec.delete_rate, n), n)
    if not count:
        return
    rows = rng.choice(n, size=count, replace=False)
    gone = state.truth.iloc[np.sort(rows)].copy()
    gone["deleted_day"] = day
    state.deleted.append(gone.reset_index(drop=True))
    keep = np.ones(n, dtype=np.bool_)
    keep[rows] = False
    state.records = state.records[keep].reset_index(drop=True)
    state.truth = state.truth[keep].reset_index(drop=True)
    state.updated = state.updated[keep]


def _update(model: TableModel, world: World, state: TableState, rng: np.random.Generator, day: int) -> None:
    n = len(state.records)
    count = min(_count(model.spec.update_rate, n), n)
    if not count:
        return
    rows = np.sort(rng.choice(n, size=count, replace=False))
    changes = model.update(world, state.records.iloc[rows], state.truth.iloc[rows], rng, day)
    truth = state.truth
    for column, values in changes.items():
        position = state.records.columns.get_loc(column)
        dtype = state.records[column].dtype
        new = pd.Series(np.asarray(values, dtype=dtype), dtype=dtype)
        old = state.records.iloc[rows, position].reset_index(drop=True)
        changed = ~(old.eq(new) | (old.isna() & new.isna())).to_numpy()
        state.records.iloc[rows, position] = new.to_numpy()
        # A rewritten value no longer carries the defect or variation it had.
        for what in ("defect", "variation"):
            hit = rows[changed & (truth[f"{what}_column"].to_numpy()[rows] == column)]
            if hit.size:
                truth.iloc[hit, truth.columns.get_loc(what)] = None
                truth.iloc[hit, truth.columns.get_loc(f"{what}_column")] = None
    start, end = day_window(day)
    state.updated[rows] = start + np.sort(rng.integers(0, end - start, count))
    truth.iloc[rows, truth.columns.get_loc("last_day")] = day


def _insert(model: TableModel, world: World, state: TableState, rng: np.random.Generator, day: int) -> None:
    batch = model.inserts(world, rng, day, _count(model.spec.insert_rate, len(state.records)))
    if not len(batch):
        return
    existing = state.records[model.spec.key].to_numpy()
    records, updated, truth = realise(
        model, world, batch, rng, day=day, serial_start=state.next_serial, existing_keys=existing
    )
    state.next_serial += len(records)
    state.records = pd.concat([state.records, records], ignore_index=True)
    state.updated = np.concatenate([state.updated, updated])
    state.truth = pd.concat([state.truth, truth], ignore_index=True)


def advance(model: TableModel, world: World, state: TableState, day: int) -> None:
    """Apply ``day``'s changes: deletes (Postgres tables only), updates, inserts."""
    rng = world.rng(model.spec.feed, "day", day)
    if model.spec.delivery == "postgres":
        _delete(model.spec, state, rng, day)
    _update(model, world, state, rng, day)
    _insert(model, world, state, rng, day)


def build_table(model: TableModel, world: World) -> SourceTable:
    """The table on the world's day: replay day 0 and every day's changes, then deliver."""
    spec = model.spec
    state = model.initial(world)
    if state is None:
        rng = world.rng(spec.feed)
        records, updated, truth = realise(model, world, model.base(world, rng), rng, day=0, serial_start=1)
        state = TableState(records, updated, truth, [], len(records) + 1)
    for day in range(1, world.day + 1):
        advance(model, world, state, day)

    records, updated, truth = state.records, state.updated, state.truth
    if spec.delivery == "file" and world.day > 0:
        today = (truth["last_day"] == world.day).to_numpy()
        records = records[today].reset_index(drop=True)
        updated = updated[today]
        truth = truth[today].reset_index(drop=True)
    records["updated_at"] = timestamps(updated)
    records = model.present(world, records, truth, world.day)
    renamed = model.renames(world.day)
    if renamed:
        records = records.rename(columns=renamed)
        truth = truth.copy()
        for column in ("defect_column", "variation_column"):
            truth[column] = truth[column].map(lambda c: renamed.get(c, c) if isinstance(c, str) else c)
    deleted = (
        pd.concat(state.deleted, ignore_index=True)
        if state.deleted
        else pd.DataFrame({c: pd.Series(dtype=object) for c in [*spec.truth_columns, "deleted_day"]})
    )
    types = {renamed.get(c, c): t for c, t in spec.columns}
    return SourceTable(
        department=spec.department,
        entity=spec.entity,
        key=spec.key,
        delivery=spec.delivery,
        file_format=spec.file_format,
        encoding=spec.encoding,
        bom=spec.bom,
        records=records,
        truth=truth,
        column_types={c: types.get(c, "text") for c in records.columns},
        deleted=deleted,
    )
