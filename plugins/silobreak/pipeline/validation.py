"""Validate a landed batch with the feed's Great Expectations suite and split it row by row.

The suite is data (``expectations/<suite>.json``), loaded as is. Every row that fails a
row-level expectation is quarantined with the name of each check it failed; table-level failures
(schema) and a share of invalid rows above the contract's threshold stop the batch.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from silobreak.contracts import FeedContract, Volume
from silobreak.settings import REPO_ROOT

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context.data_context.abstract_data_context import AbstractDataContext

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
    """Run the suite on the whole frame with Great Expectations' own checks (uniqueness included):
    the reference :func:`~silobreak.pipeline.chunked_validation.validate_chunks` is tested against,
    and the path for frames small enough to hold (tests, a sample of a new feed)."""
    import great_expectations as gx

    frame = frame.reset_index(drop=True)
    context, batch_definition = gx_batch_definition(contract, batch_id)
    suite_json = json.loads(suite_path(contract).read_text(encoding="utf-8"))
    suite = context.suites.add(gx.ExpectationSuite(**suite_json))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"}).to_json_dict()  # type: ignore[no-untyped-call]
    return judge(
        contract,
        batch_id,
        row_count=len(frame),
        columns=[str(c) for c in frame.columns],
        checked=[(item, (item.get("result") or {}).get("unexpected_index_list")) for item in result["results"]],
        statistics=result.get("statistics", {}),
    )


def gx_batch_definition(contract: FeedContract, batch_id: str) -> tuple[AbstractDataContext, BatchDefinition[Any]]:
    """A fresh ephemeral Great Expectations context, quiet, with the custom expectations registered,
    and a batch definition of the feed that takes a whole data frame."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import silobreak.expectations  # noqa: F401 - registers the custom expectations

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas(contract.department)
        .add_dataframe_asset(contract.entity)
        .add_batch_definition_whole_dataframe(batch_id)
    )
    return context, batch_definition


def judge(
    contract: FeedContract,
    batch_id: str,
    *,
    row_count: int,
    columns: Collection[str],
    checked: Sequence[tuple[dict[str, Any], Iterable[int] | None]],
    statistics: dict[str, Any],
    table_failures: Sequence[str] = (),
) -> Outcome:
    """The batch's outcome from its expectation results, each with the positions of the rows it
    failed (None for a check of the whole table): the one place the rules are, for the whole-frame
    and the chunked validation alike.

    A failed check on a column the batch lacks is left to the schema check (drift is reported
    once); a check of severity 'warning' flags rows without holding them; a check that could not
    run, or a failed table check, stops the batch; any other failed check holds each failing row,
    with its reasons in the order of the results."""
    reasons: dict[int, list[str]] = defaultdict(list)
    failures = list(table_failures)
    warnings: dict[str, int] = {}
    for item, rows in checked:
        if item["success"]:
            continue
        check = _check_name(item)
        config = item["expectation_config"]
        if any(c not in columns for c in _columns_of(config)):
            continue
        if config.get("severity", "critical") != "critical":
            warnings[check] = int((item.get("result") or {}).get("unexpected_count") or 0)
        elif raised(item.get("exception_info") or {}):
            failures.append(f"{check}: the check could not run: {_exception_message(item['exception_info'])}")
        elif rows is None:
            failures.append(_describe_table_failure(check, item))
        else:
            for row in rows:
                reasons[int(row)].append(check)
    return Outcome(
        feed=contract.feed,
        batch_id=batch_id,
        row_count=row_count,
        reasons_by_row=dict(sorted(reasons.items())),
        table_failures=failures,
        results=[item for item, _ in checked],
        warnings=warnings,
        statistics=statistics,
    )


def _columns_of(config: dict[str, Any]) -> list[str]:
    """The columns an expectation reads."""
    kwargs = config["kwargs"]
    return [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]


def raised(info: dict[str, Any]) -> bool:
    """Whether a result's exception_info tells of an exception (flat, or keyed by metric)."""
    return bool(info.get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    )


def _exception_message(info: dict[str, Any]) -> str:
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    raised_by = (v for v in info.values() if isinstance(v, dict) and v.get("raised_exception"))
    return str(next(raised_by).get("exception_message"))


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
