"""Resident ID (GB 11643-1999): check character and a real birth date not in the future."""

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

from silobreak.identifiers import is_valid_resident_id


class ColumnValuesValidResidentId(ColumnMapMetricProvider):
    """Row-level metric: is the value a well-formed resident ID (after normalising case and spaces)?"""

    condition_metric_name = "column_values.valid_resident_id"

    @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc]
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:  # noqa: N805 - GX passes the class
        return column.map(is_valid_resident_id)


class ExpectColumnValuesToBeValidResidentId(ColumnMapExpectation):
    """Expect values to be resident IDs with a valid GB 11643 check character and birth date.

    Lower-case ``x`` and stray spaces are accepted (staging normalises them); nulls are left to
    ``expect_column_values_to_not_be_null``.
    """

    map_metric = "column_values.valid_resident_id"
    success_keys = ("mostly",)

    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "data": {
                "valid": ["11010519491231002X", "11010519491231002x", "11010119900307803X"],
                "invalid": ["110105194912310021", "110105199913310024", "12345"],
            },
            "only_for": ["pandas"],
            "tests": [
                {
                    "title": "valid_ids",
                    "exact_match_out": False,
                    "include_in_gallery": True,
                    "in": {"column": "valid"},
                    "out": {"success": True},
                },
                {
                    "title": "bad_check_digit_date_and_format",
                    "exact_match_out": False,
                    "include_in_gallery": True,
                    "in": {"column": "invalid"},
                    "out": {"success": False, "unexpected_index_list": [0, 1, 2]},
                },
            ],
        }
    ]
    library_metadata: ClassVar[dict[str, Any]] = {
        "tags": ["china", "identifiers", "gb11643"],
        "contributors": ["silobreak"],
    }
