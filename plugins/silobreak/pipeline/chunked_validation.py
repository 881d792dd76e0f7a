"""Validate a batch chunk by chunk, with the same outcome as validating it whole.

:func:`silobreak.pipeline.validation.validate` needs the whole batch as one frame; a batch of
millions of rows would not fit. Here one Great Expectations context and suite run on each chunk
(frames from :func:`silobreak.pipeline.chunks.iter_frames`, indexed by position in the batch):

- schema checks (``expect_table_columns_*``) run once, on the first chunk;
- row checks run on every chunk, their failing rows' positions are already global;
- ``expect_column_values_to_be_unique`` is decided across chunks: each chunk leaves two 64-bit
  hashes per row of the column, and at the end every row whose value occurs more than once is
  flagged, as Great Expectations flags every occurrence (nulls are never duplicates);
- any other expectation that needs the whole table (row counts, means...) cannot be split and is
  refused, naming it.

Results are summed per expectation (element, missing and unexpected counts; the first 20
unexpected rows as the partial lists); the full lists of failing rows are in ``reasons_by_row``
and not repeated in the results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from silobreak.contracts import FeedContract
from silobreak.errors import SilobreakError
from silobreak.pipeline.validation import Outcome, gx_batch_definition, judge, raised, suite_path

UNIQUE = "expect_column_values_to_be_unique"
SCHEMA_CHECKS = frozenset(
    {
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
        "expect_column_to_exist",
    }
)
PARTIAL = 20
_HASH_KEYS = ("silobreak-key-1a", "silobreak-key-2b")  # two independent 64-bit hashes: no false duplicates in practice


@dataclass
class _Tally:
    """One expectation's results summed over the chunks."""

    config: dict[str, Any]
    chunks: int = 0
    success: bool = True
    element_count: int = 0
    missing_count: int = 0
    unexpected_count: int = 0
    partial_unexpected_list: list[Any] = field(default_factory=list)
    partial_unexpected_index_list: list[int] = field(default_factory=list)
    observed_value: Any = None
    exception: dict[str, Any] | None = None
    keys: set[str] | None = None
    """The result's keys as Great Expectations gave them (None for a result of ours: all keys)."""
    failed_rows: list[npt.NDArray[np.int64]] | None = None
    """Positions of the rows the check failed, a chunk an array (None for a check of the whole table)."""

    def add(self, item: dict[str, Any]) -> None:
        self.chunks += 1
        self.success = self.success and bool(item["success"])
        result = item.get("result") or {}
        self.keys = (self.keys or set()) | set(result)
        self.element_count += int(result.get("element_count") or 0)
        self.missing_count += int(result.get("missing_count") or 0)
        self.unexpected_count += int(result.get("unexpected_count") or 0)
        room = PARTIAL - len(self.partial_unexpected_index_list)
        if room > 0:
            self.partial_unexpected_list += list(result.get("unexpected_list") or [])[:room]
            self.partial_unexpected_index_list += [int(i) for i in result.get("unexpected_index_list") or []][:room]
        if "observed_value" in result:
            self.observed_value = result["observed_value"]
        if result.get("unexpected_index_list") is not None:
            rows = np.asarray(result["unexpected_index_list"], dtype=np.int64)
            self.failed_rows = [*(self.failed_rows or []), rows]
        exception = item.get("exception_info") or {}
        if raised(exception) and self.exception is None:
            self.exception = exception

    def rows(self) -> list[int] | None:
        """Every failed row's position in the batch (None for a check of the whole table)."""
        if self.failed_rows is None:
            return None
        return [row for rows in self.failed_rows for row in rows.tolist()]

    def as_result(self) -> dict[str, Any]:
        result: dict[str, Any]
        if self.observed_value is not None or self.config["type"] in SCHEMA_CHECKS:
            result = {"observed_value": self.observed_value}
        else:
            nonmissing = self.element_count - self.missing_count
            result = {
                "element_count": self.element_count,
                "missing_count": self.missing_count,
                "missing_percent": _percent(self.missing_count, self.element_count),
                "unexpected_count": self.unexpected_count,
                "unexpected_percent": _percent(self.unexpected_count, nonmissing),
                "unexpected_percent_total": _percent(self.unexpected_count, self.element_count),
                "unexpected_percent_nonmissing": _percent(self.unexpected_count, nonmissing),
                "partial_unexpected_list": self.partial_unexpected_list,
                "partial_unexpected_index_list": self.partial_unexpected_index_list,
            }
        if self.keys is not None:
            result = {k: v for k, v in result.items() if k in self.keys}
        exception = self.exception or {
            "raised_exception": False,
            "exception_traceback": None,
            "exception_message": None,
        }
        return {
            "success": self.success,
            "expectation_config": self.config,
            "result": result,
            "meta": {},
            "exception_info": exception,
        }


def _percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


@dataclass
class _Keys:
    """Hashes of one column's values, chunk by chunk, to find values that occur twice."""

    column: str
    first: list[npt.NDArray[np.uint64]] = field(default_factory=list)
    second: list[npt.NDArray[np.uint64]] = field(default_factory=list)
    present: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    partial: list[Any] = field(default_factory=list)

    def add(self, chunk: pd.DataFrame) -> None:
        values = chunk[self.column].to_numpy(dtype=object)
        present = pd.notna(values)
        texts = np.where(present, values, "").astype(object)
        self.first.append(pd.util.hash_array(texts, hash_key=_HASH_KEYS[0], categorize=False))
        self.second.append(pd.util.hash_array(texts, hash_key=_HASH_KEYS[1], categorize=False))
        self.present.append(np.asarray(present, dtype=bool))

    def duplicated_rows(self) -> npt.NDArray[np.int64]:
        """Positions (in the batch) of every non-null value that occurs more than once."""
        if not self.first:
            return np.zeros(0, dtype=np.int64)
        first, second = np.concatenate(self.first), np.concatenate(self.second)
        self.first, self.second = [], []
        rows = np.flatnonzero(np.concatenate(self.present))
        order = np.argsort(first[rows], kind="stable")
        ordered = first[rows[order]]
        repeated = np.zeros(len(order), dtype=bool)
        same = ordered[1:] == ordered[:-1]
        repeated[1:] |= same
        repeated[:-1] |= same
        candidates = rows[order[repeated]]
        # a row is a duplicate when another row shares both hashes (one alone may collide)
        pairs = pd.DataFrame({"a": first[candidates], "b": second[candidates]})
        return np.sort(candidates[pairs.duplicated(keep=False).to_numpy()]).astype(np.int64)


def _suites(
    contract: FeedContract,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The suite's json, and its expectations split into schema checks, row checks and uniqueness."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    suite_json = json.loads(suite_path(contract).read_text(encoding="utf-8"))
    schema: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    unique: list[dict[str, Any]] = []
    for expectation in suite_json.get("expectations", []):
        kind = expectation["type"]
        impl = get_expectation_impl(kind)
        if kind == UNIQUE:
            unique.append(expectation)
        elif kind in SCHEMA_CHECKS:
            schema.append(expectation)
        elif issubclass(
            impl, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation
        ) and kind not in (
            "expect_compound_columns_to_be_unique",
            "expect_multicolumn_sum_to_equal",
        ):
            rows.append(expectation)
        else:
            raise SilobreakError(
                f"suite {contract.suite}: {kind} needs the whole table and cannot be checked chunk by chunk",
                hint="validate this feed whole (validation.validate), or express the check per row",
            )
    return suite_json, schema, rows, unique


@contextmanager
def _without_fingerprints() -> Iterator[None]:
    """Great Expectations hashes every batch frame under 1 GB (by its shallow size) for a
    fingerprint in the batch markers, which silobreak never reads; on chunks of strings that hash
    was a third of the validation time. Raising the threshold skips it while chunks run."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    threshold = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = threshold


def validate_chunks(contract: FeedContract, batch_id: str, chunks: Iterable[pd.DataFrame]) -> Outcome:
    """Run the feed's suite over the batch's chunks (indexed by position in the batch, as
    :func:`~silobreak.pipeline.chunks.iter_frames` gives them); the same outcome as
    :func:`~silobreak.pipeline.validation.validate` on the whole batch."""
    import great_expectations as gx

    context, batch_definition = gx_batch_definition(contract, batch_id)
    suite_json, schema, row_checks, unique = _suites(contract)
    whole = gx.ExpectationSuite(**suite_json)
    first_suite = context.suites.add(gx.ExpectationSuite(name=f"{whole.name}.first", expectations=schema + row_checks))
    rows_suite = context.suites.add(gx.ExpectationSuite(name=f"{whole.name}.rows", expectations=row_checks))
    order = {id(e): i for i, e in enumerate(suite_json.get("expectations", []))}
    # Great Expectations returns results in its own order: match them to the suite by expectation id
    position = {
        str(added.id): order[id(e)]
        for suite, given in ((first_suite, schema + row_checks), (rows_suite, row_checks))
        for added, e in zip(suite.expectations, given, strict=True)
    }
    tallies: dict[int, _Tally] = {}
    keys = [_Keys(e["kwargs"]["column"]) for e in unique]
    drift: list[str] = []
    columns: list[str] | None = None
    row_count = 0
    for number, chunk in enumerate(chunks):
        if columns is not None and list(chunk.columns) != columns:
            new = [c for c in chunk.columns if c not in columns]
            drift.append(f"schema drift: columns {new} first appear at row {row_count}")
        columns = [str(c) for c in chunk.columns]
        row_count += len(chunk)
        suite = first_suite if number == 0 else rows_suite
        with _without_fingerprints():
            batch = batch_definition.get_batch(batch_parameters={"dataframe": chunk})
            result = batch.validate(suite, result_format={"result_format": "COMPLETE"}).to_json_dict()  # type: ignore[no-untyped-call]
        for item in result["results"]:
            config = item["expectation_config"]
            tallies.setdefault(position[config["id"]], _Tally(config)).add(item)
        for key in keys:
            if key.column in chunk.columns:
                key.add(chunk)
    for expectation, key in zip(unique, keys, strict=True):
        tallies[order[id(expectation)]] = _unique_tally(whole, expectation, key, columns or [], row_count)
    ordered = [tallies[i] for i in _result_order(suite_json.get("expectations", []))]
    checked = [(tally.as_result(), tally.rows()) for tally in ordered]
    # checks that could not run (e.g. on a missing column) come first, as Great Expectations lists them
    checked.sort(key=lambda pair: not raised(pair[0]["exception_info"]))
    successful = sum(1 for item, _ in checked if item["success"])
    return judge(
        contract,
        batch_id,
        row_count=row_count,
        columns=columns or [],
        checked=checked,
        statistics={
            "evaluated_expectations": len(checked),
            "successful_expectations": successful,
            "unsuccessful_expectations": len(checked) - successful,
            "success_percent": _percent(successful, len(checked)),
        },
        table_failures=drift,
    )


def _result_order(expectations: list[dict[str, Any]]) -> list[int]:
    """Positions of the suite's expectations in the order Great Expectations reports them:
    grouped by ``column`` (groups in order of first appearance, the ones without a column being
    one group), suite order within a group."""
    groups: dict[str, list[int]] = {}
    for index, expectation in enumerate(expectations):
        column = expectation.get("kwargs", {}).get("column")
        groups.setdefault(column if isinstance(column, str) else "", []).append(index)
    return [index for group in groups.values() for index in group]


def _unique_tally(
    whole: Any,
    expectation: dict[str, Any],
    key: _Keys,
    columns: list[str],
    row_count: int,
) -> _Tally:
    """The uniqueness result over all chunks, every duplicated row among its failed rows."""
    config = next(
        e.configuration.to_json_dict()
        for e in whole.expectations
        if e.expectation_type == UNIQUE and e.configuration.kwargs.get("column") == key.column
    )
    tally = _Tally(config, element_count=row_count)
    if key.column not in columns:
        tally.success = False
        tally.exception = {
            "raised_exception": True,
            "exception_traceback": None,
            "exception_message": f"column {key.column!r} is not in the batch",
        }
        return tally
    tally.missing_count = row_count - int(sum(int(p.sum()) for p in key.present))
    duplicated = key.duplicated_rows()
    tally.unexpected_count = len(duplicated)
    tally.success = not len(duplicated)
    tally.partial_unexpected_index_list = [int(r) for r in duplicated[:PARTIAL]]
    tally.failed_rows = [duplicated]
    return tally
