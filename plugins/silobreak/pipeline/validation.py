"""Validate a landed batch with the feed's Great Expectations suite and split it row by row.

The suite is data (``expectations/<suite>.json``), loaded as is. Every row that fails a
row-level expectation is quarantined with the name of each check it failed; table-level failures
(schema) and a share of invalid rows above the contract's threshold stop the batch.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from silobreak.contracts import FeedContract, Volume
from silobreak.settings import REPO_ROOT

SUITES_DIR = REPO_ROOT / "expectations"


@dataclass
class Outcome:
    """What validation decided for a batch."""

    feed: str
    batch_id: str
    row_count: int
    reasons_by_row: dict[int, list[str]]
    """Failed checks of each invalid row, by its 0-based position in the batch."""
    table_failures: list[str]
    results: list[dict[str, Any]] = field(repr=False)
    warnings: dict[str, int] = field(default_factory=dict)
    """Rows flagged by checks of severity 'warning' (e.g. a retired division code), by check: kept, not quarantined."""
    statistics: dict[str, Any] = field(default_factory=dict)
    volume: str | None = None
    """Why the row count is unusual for this feed (see :func:`volume_finding`), if it is."""

    @property
    def invalid_count(self) -> int:
        return len(self.reasons_by_row)

    @property
    def valid_count(self) -> int:
        return self.row_count - self.invalid_count

    @property
    def invalid_share(self) -> float:
        return self.invalid_count / self.row_count if self.row_count else 0.0

    def gate_failures(self, contract: FeedContract) -> list[str]:
        """Reasons to stop the whole batch (empty when it may be loaded)."""
        reasons = list(self.table_failures)
        if self.row_count == 0:
            reasons.append("the batch is empty")
        limit = contract.quality.max_invalid_share
        if self.invalid_share > limit:
            reasons.append(f"{self.invalid_share:.1%} of rows are invalid, above the feed's limit of {limit:.0%}")
        if self.volume and contract.quality.volume.on_breach == "reject":
            reasons.append(self.volume)
        return reasons

    def warning_messages(self, contract: FeedContract) -> list[str]:
        """What is recorded on the batch without stopping it."""
        messages = [f"{check}: {rows} rows flagged (severity warning)" for check, rows in self.warnings.items()]
        if self.volume and contract.quality.volume.on_breach == "warn":
            messages.append(self.volume)
        return messages

    def result_rows(self) -> list[dict[str, Any]]:
        """One record per expectation, as kept in ``silobreak.validation_results``."""
        rows = []
        for item in self.results:
            config = item["expectation_config"]
            result = item.get("result") or {}
            rows.append(
                {
                    "check_name": _check_name(item),
                    "expectation_type": config["type"],
                    "column_name": config["kwargs"].get("column") or config["kwargs"].get("column_B"),
                    "severity": config.get("severity") or "critical",
                    "success": bool(item["success"]),
                    "element_count": result.get("element_count"),
                    "unexpected_count": result.get("unexpected_count"),
                    "observed_value": result.get("observed_value"),
                }
            )
        return rows


def volume_finding(row_count: int, recent: Sequence[int], rule: Volume) -> str | None:
    """A message when ``row_count`` strays from the median of recent loaded batches by more than the
    tolerance; None when it does not, or when there is no history to compare with yet."""
    counts = list(recent)[: rule.history]
    if not counts:
        return None
    median = statistics.median(counts)
    if median == 0:
        return None if row_count == 0 else f"volume: {row_count:,} rows where the last loaded batches had none"
    change = (row_count - median) / median
    if abs(change) <= rule.tolerance:
        return None
    compared = "the last loaded batch" if len(counts) == 1 else f"the median of the last {len(counts)} loaded batches"
    return (
        f"volume: {row_count:,} rows is {abs(change):.0%} {'above' if change > 0 else 'below'} the "
        f"{median:,.0f} rows of {compared} (tolerance {rule.tolerance:.0%})"
    )


def suite_path(contract: FeedContract) -> Path:
    return SUITES_DIR / f"{contract.suite}.json"


def _check_name(result: dict[str, Any]) -> str:
    config = result["expectation_config"]
    check = (config.get("meta") or {}).get("check") or config["type"]
    column = config["kwargs"].get("column") or config["kwargs"].get("column_B")
    return f"{column}:{check}" if column else str(check)


def validate(contract: FeedContract, batch_id: str, frame: pd.DataFrame) -> Outcome:
    """Run the suite on the frame; collect every failed check per row (by position, so rows
    without a key are still told apart)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import silobreak.expectations  # noqa: F401 - registers the custom expectations

    frame = frame.reset_index(drop=True)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite_json = json.loads(suite_path(contract).read_text(encoding="utf-8"))
    suite = context.suites.add(gx.ExpectationSuite(**suite_json))
    batch_definition = (
        context.data_sources.add_pandas(contract.department)
        .add_dataframe_asset(contract.entity)
        .add_batch_definition_whole_dataframe(batch_id)
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"}).to_json_dict()  # type: ignore[no-untyped-call]

    reasons: dict[int, list[str]] = defaultdict(list)
    table_failures: list[str] = []
    warnings: dict[str, int] = {}
    for item in result["results"]:
        if item["success"]:
            continue
        check = _check_name(item)
        kwargs = item["expectation_config"]["kwargs"]
        columns = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
        if any(c not in frame.columns for c in columns):
            continue  # the column is gone: the schema check reports that once, as drift
        if item["expectation_config"].get("severity", "critical") != "critical":
            warnings[check] = int((item.get("result") or {}).get("unexpected_count") or 0)
            continue
        if item.get("exception_info", {}).get("raised_exception"):
            table_failures.append(f"{check}: the check could not run: {item['exception_info']['exception_message']}")
            continue
        rows = (item.get("result") or {}).get("unexpected_index_list")
        if rows is None:
            table_failures.append(_describe_table_failure(check, item))
            continue
        for row in rows:
            reasons[int(row)].append(check)
    return Outcome(
        feed=contract.feed,
        batch_id=batch_id,
        row_count=len(frame),
        reasons_by_row=dict(sorted(reasons.items())),
        table_failures=table_failures,
        results=result["results"],
        warnings=warnings,
        statistics=result.get("statistics", {}),
    )


def _describe_table_failure(check: str, item: dict[str, Any]) -> str:
    kwargs = item["expectation_config"]["kwargs"]
    if item["expectation_config"]["type"] in (
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
    ):
        expected = kwargs.get("column_list") or kwargs.get("column_set") or []
        observed = (item.get("result") or {}).get("observed_value") or []
        missing = [c for c in expected if c not in observed]
        extra = [c for c in observed if c not in expected]
        return f"schema drift: missing columns {missing or 'none'}, unexpected columns {extra or 'none'}"
    return f"{check} failed: {json.dumps(item.get('result'), ensure_ascii=False, default=str)[:300]}"
