"""A row-level expectation for dates and months as departments type them (see :mod:`silobreak.dates`)."""

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

from silobreak.dates import valid_dates


class ColumnValuesValidDate(ColumnMapMetricProvider):
    """Row-level metric: is the value a real calendar day (or month) in a format staging reads?"""

    condition_metric_name = "column_values.valid_date"
    condition_value_keys = ("month",)

    @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc]
    def _pandas(cls, column: pd.Series, month: bool = False, **_: Any) -> pd.Series:  # noqa: N805 - GX passes the class
        return valid_dates(column, month=month)


class ExpectColumnValuesToBeValidDate(ColumnMapExpectation):
    """Expect real calendar days (``2024-01-05``, ``2024/01/05``, ``2024年1月5日``, ``20240105``,
    full-width digits too); with ``month: true``, real months (``2024-01``, ``2024年1月``, ``202401``).

    Month 00 or 13, day 00 or 32, 30 February or 31 April fail; nulls are left to
    ``expect_column_values_to_not_be_null``.
    """

    map_metric = "column_values.valid_date"
    success_keys = ("mostly", "month")
    month: bool = False

    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "data": {
                "days": ["2024-01-05", "2024年1月5日", "2024/01/05", "20240105", "2024-02-29"],
                "bad_days": ["2024-13-01", "2023-02-29", "2024-04-31", "2024-01-00"],
                "months": ["2024-01", "2024年1月", "2024/01", "202401", "2024-12"],
            },
            "only_for": ["pandas"],
            "tests": [
                {"title": "days", "exact_match_out": False, "include_in_gallery": True,
                 "in": {"column": "days"}, "out": {"success": True}},
                {"title": "impossible_days", "exact_match_out": False, "include_in_gallery": True,
                 "in": {"column": "bad_days"}, "out": {"success": False, "unexpected_index_list": [0, 1, 2, 3]}},
                {"title": "months", "exact_match_out": False, "include_in_gallery": True,
                 "in": {"column": "months", "month": True}, "out": {"success": True}},
            ],
        }
    ]  # fmt: skip
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["china", "dates"], "contributors": ["silobreak"]}
