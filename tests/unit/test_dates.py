"""Dates and months as departments type them: every legitimate form is read, no impossible day passes."""

from __future__ import annotations

import great_expectations as gx
import numpy as np
import pandas as pd
import pytest

import silobreak.expectations  # noqa: F401 - registers them
from silobreak.city.defects import DEFECTS
from silobreak.city.variation import VARIATIONS
from silobreak.contracts import parse_contract
from silobreak.dates import is_valid_date, valid_dates
from silobreak.onboarding import _contract_yaml, infer, suite_for
from silobreak.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "docs" / "tutorial" / "rental_contracts.csv"

VALID_DAYS = [
    "2024-01-05",
    "2024-1-5",
    "2024/01/05",
    "2024年1月5日",
    "20240105",
    "２０２４-０１-０５",
    "２０２４／０１／０５",
    " 2024-01-05 ",
    "2024-02-29",
    "2000-02-29",
    "2024-12-31",
    "2024-01-05 10:30:00+08:00",
    "2024-01-05T10:30:00Z",
]
INVALID_DAYS = [
    "2024-13-01",
    "2024-00-10",
    "2024-01-00",
    "2024-01-32",
    "2024-02-30",
    "2023-02-29",
    "1900-02-29",
    "2024-04-31",
    "2024年13月1日",
    "20241301",
    "20240431",
    "2024-01",
    "2024-01-05x",
    "0000-01-01",
    "05/01/2024",
    "长期",
    "",
]
VALID_MONTHS = ["2024-01", "2024-1", "2024/01", "2024年1月", "202401", "２０２４-１２"]
INVALID_MONTHS = ["2024-13", "2024-00", "202413", "2024年0月", "2024-01-05", "2024", "24-01"]


@pytest.mark.parametrize("value", VALID_DAYS)
def test_days_in_every_department_format_are_valid(value: str) -> None:
    assert is_valid_date(value)


@pytest.mark.parametrize("value", INVALID_DAYS)
def test_impossible_or_unreadable_days_are_not(value: str) -> None:
    assert not is_valid_date(value)


@pytest.mark.parametrize("value", VALID_MONTHS)
def test_months_are_valid_with_month(value: str) -> None:
    assert is_valid_date(value, month=True)


@pytest.mark.parametrize("value", INVALID_MONTHS)
def test_impossible_months_are_not(value: str) -> None:
    assert not is_valid_date(value, month=True)


def test_missing_values_are_left_to_the_not_null_check() -> None:
    assert valid_dates(pd.Series([None, np.nan, "2024-01-05"], index=[7, 8, 9], dtype=object)).tolist() == [True] * 3


def test_the_citys_date_variations_are_valid_and_its_impossible_dates_are_not() -> None:
    """Whatever the generator writes for a real day is read; whatever it breaks is caught."""
    rng = np.random.default_rng(3)
    days = np.datetime64("1950-01-01") + rng.integers(0, 30_000, 2_000).astype("timedelta64[D]")
    iso = np.array([str(d) for d in days], dtype=object)
    months = np.array([d[:7] for d in iso], dtype=object)
    for values, month in ((iso, False), (months, True)):
        varied = VARIATIONS["date_format"].apply(values, rng)
        assert valid_dates(pd.Series(varied), month=month).all()
        broken = DEFECTS["impossible_date"].apply(values, "month" if month else "date", rng, ())
        assert not valid_dates(pd.Series(broken), month=month).any()


def test_the_expectation_reports_the_rows_that_fail() -> None:
    context = gx.get_context(mode="ephemeral")
    frame = pd.DataFrame(
        {"day": ["2024-01-05", "2024-02-30", None, "2024年1月5日"], "month": ["2024-01", "2024-13", "202402", None]}
    )
    batch = context.data_sources.add_pandas("t").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    suite = context.suites.add(
        gx.ExpectationSuite(
            name="s",
            expectations=[
                {"type": "expect_column_values_to_be_valid_date", "kwargs": {"column": "day"}},
                {"type": "expect_column_values_to_be_valid_date", "kwargs": {"column": "month", "month": True}},
            ],
        )
    )
    result = batch.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="COMPLETE")
    assert [r.result["unexpected_index_list"] for r in result.results] == [[1], [1]]


def test_new_feeds_get_a_date_check_on_every_date_column() -> None:
    guess = infer(SAMPLE.read_bytes(), SAMPLE.name)
    source = {
        "kind": "file_drop",
        "prefix": "housing/rental_contracts/",
        "pattern": "*.csv",
        "format": "csv",
        "encoding": "gbk",
    }
    contract = parse_contract(
        _contract_yaml("housing", "rental_contracts", guess, source, "Housing", "d@h.example"), "new"
    )
    checked = [e["kwargs"]["column"] for e in suite_for(contract)["expectations"] if e["type"].endswith("valid_date")]
    assert checked == [c.name for c in contract.columns if c.type == "date"] == ["start_date"]
