"""Resident ID (GB 11643-1999): check character and a real birth date not in the future."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pandas as pd
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider.column_condition_partial import (
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.column_map_metric_provider import (
    ColumnMapMetricProvider,
)
from great_expectations.expectations.metrics.map_metric_provider.column_pair_condition_partial import (
    column_pair_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.column_pair_map_metric_provider import (
    ColumnPairMapMetricProvider,
)

from silobreak.expectations.vectorised import genders_match_resident_ids, valid_resident_ids


class ColumnValuesValidResidentId(ColumnMapMetricProvider):
    """Row-level metric: is the value a well-formed resident ID (after normalising case and spaces)?"""

    condition_metric_name = "column_values.valid_resident_id"

    @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc]
    def _pandas(cls, column: pd.Series, **_: Any) -> pd.Series:  # noqa: N805 - GX passes the class
        return valid_resident_ids(column)


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


class ColumnPairGenderMatchesResidentId(ColumnPairMapMetricProvider):
    """Row-level metric: does the gender column agree with the ID's 17th digit (odd male, even female)?"""

    condition_metric_name = "column_pair_values.gender_matches_resident_id"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_A",
        "column_B",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )

    @column_pair_condition_partial(engine=PandasExecutionEngine)  # type: ignore[misc,untyped-decorator]
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **_: Any) -> pd.Series:  # noqa: N805, N803
        return genders_match_resident_ids(column_A, column_B)


class ExpectColumnPairValuesGenderToMatchResidentId(ColumnPairMapExpectation):
    """Expect the gender in ``column_B`` to agree with the resident ID in ``column_A`` (GB 11643:
    the 17th digit is odd for men, even for women). Rows with a missing or malformed ID pass here."""

    map_metric = "column_pair_values.gender_matches_resident_id"
    success_keys = ("column_A", "column_B", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = "either_value_is_missing"

    examples: ClassVar[list[dict[str, Any]]] = [
        {
            "data": {
                "id": ["11010519491231002X", "11010119900307803X", "11010519491231002X"],
                "gender": ["女", "男", "男"],
            },
            "only_for": ["pandas"],
            "tests": [
                {"title": "third_row_contradicts", "exact_match_out": False, "include_in_gallery": True,
                 "in": {"column_A": "id", "column_B": "gender"},
                 "out": {"success": False, "unexpected_index_list": [2]}},
            ],
        }
    ]  # fmt: skip
    library_metadata: ClassVar[dict[str, Any]] = {
        "tags": ["china", "identifiers", "gb11643"],
        "contributors": ["silobreak"],
    }
