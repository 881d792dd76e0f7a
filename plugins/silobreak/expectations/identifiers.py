"""Row-level expectations for the other identifiers of Chinese public records.

- unified social credit code (GB 32100 check character, optionally the embedded organisation code);
- mainland mobile number (after removing +86, spaces and dashes);
- Shenzhen division code: ``..._current_shenzhen_division_code`` fails retired codes, so a suite
  gives it ``severity: warning`` (retired codes are held by real, older records), while
  ``..._known_shenzhen_division_code`` (current or retired) is the one that rejects.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider.column_condition_partial import (
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.column_map_metric_provider import (
    ColumnMapMetricProvider,
)

from silobreak.expectations.vectorised import division_statuses_in, valid_mobiles
from silobreak.identifiers import is_valid_credit_code

_TAGS = {"tags": ["china", "identifiers"], "contributors": ["silobreak"]}


def _example(valid: list[str], invalid: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "data": {"valid": valid, "invalid": invalid},
            "only_for": ["pandas"],
            "tests": [
                {"title": "valid", "exact_match_out": False, "include_in_gallery": True,
                 "in": {"column": "valid"}, "out": {"success": True}},
                {"title": "invalid", "exact_match_out": False, "include_in_gallery": True,
                 "in": {"column": "invalid"}, "out": {"success": False}},
            ],
        }
    ]  # fmt: skip


class ColumnValuesValidCreditCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_credit_code"
    condition_value_keys = ("check_organisation_code",)

    @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc]
    def _pandas(cls, column: pd.Series, check_organisation_code: bool = False, **_: Any) -> pd.Series:  # noqa: N805
        return column.map(lambda v: is_valid_credit_code(v, check_organisation_code=check_organisation_code))


class ExpectColumnValuesToBeValidCreditCode(ColumnMapExpectation):
    """Expect unified social credit codes (GB 32100) with a valid check character.

    ``check_organisation_code`` also checks the old organisation code in characters 9-17; it is
    off by default because codes of individual businesses (92...) often carry none.
    """

    map_metric = "column_values.valid_credit_code"
    success_keys = ("mostly", "check_organisation_code")
    check_organisation_code: bool = False
    examples: ClassVar[list[dict[str, Any]]] = _example(["91350100M000100Y43"], ["91350100M000100Y44", "X"])
    library_metadata: ClassVar[dict[str, Any]] = _TAGS


class ColumnValuesValidMobile(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_mobile"

    @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc]
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:  # noqa: N805
        return valid_mobiles(column)


class ExpectColumnValuesToBeValidMobile(ColumnMapExpectation):
    """Expect mainland mobile numbers: 11 digits, 1 then 3-9 (+86, spaces and dashes allowed)."""

    map_metric = "column_values.valid_mobile"
    success_keys = ("mostly",)
    examples: ClassVar[list[dict[str, Any]]] = _example(
        ["13800138000", "+86 138-0013-8000"], ["12345678901", "1380013800"]
    )
    library_metadata: ClassVar[dict[str, Any]] = _TAGS


class ColumnValuesKnownShenzhenDivision(ColumnMapMetricProvider):
    condition_metric_name = "column_values.known_shenzhen_division"

    @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc]
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:  # noqa: N805
        return division_statuses_in(column, frozenset({"current", "retired"}))


class ExpectColumnValuesToBeKnownShenzhenDivisionCode(ColumnMapExpectation):
    """Expect a Shenzhen division code, current or retired (GB/T 2260); unknown codes fail."""

    map_metric = "column_values.known_shenzhen_division"
    success_keys = ("mostly",)
    examples: ClassVar[list[dict[str, Any]]] = _example(["440305", "440301"], ["440399", "110105"])
    library_metadata: ClassVar[dict[str, Any]] = _TAGS


class ColumnValuesCurrentShenzhenDivision(ColumnMapMetricProvider):
    condition_metric_name = "column_values.current_shenzhen_division"

    @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc]
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:  # noqa: N805
        return division_statuses_in(column, frozenset({"current"}))


class ExpectColumnValuesToBeCurrentShenzhenDivisionCode(ColumnMapExpectation):
    """Expect a division code in use today; give it ``severity: warning`` so retired codes warn."""

    map_metric = "column_values.current_shenzhen_division"
    success_keys = ("mostly",)
    examples: ClassVar[list[dict[str, Any]]] = _example(["440309", "440311"], ["440301", "440321"])
    library_metadata: ClassVar[dict[str, Any]] = _TAGS
