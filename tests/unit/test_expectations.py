"""The custom expectations on known values, the warning severity, and the suite's accuracy on the city."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd
import pytest

import silobreak.expectations  # noqa: F401 - registers them
from silobreak.city.residents import generate_residents
from silobreak.contracts import get_contract
from silobreak.identifiers import division_code_status
from silobreak.pipeline.landing import Manifest
from silobreak.pipeline.reading import read_frame
from silobreak.pipeline.validation import validate

CASES = [
    (
        "expect_column_values_to_be_valid_credit_code",
        ["91350100M000100Y43", "91350100m000100y43"],
        ["91350100M000100Y44", "91350100M00010OY43"],
    ),
    (
        "expect_column_values_to_be_valid_mobile",
        ["13800138000", "+86 138-0013-8000", "0086 13912345678"],
        ["12345678901", "1380013800", "23800138000"],
    ),
    (
        "expect_column_values_to_be_known_shenzhen_division_code",
        ["440303", "440311", "440301", "440321"],
        ["440399", "110105", "4403"],
    ),
    (
        "expect_column_values_to_be_current_shenzhen_division_code",
        ["440303", "440309", "440310", "440311"],
        ["440301", "440321", "440399"],
    ),
]


@pytest.mark.parametrize(("expectation", "valid", "invalid"), CASES)
def test_custom_expectations_on_known_values(expectation: str, valid: list[str], invalid: list[str]) -> None:
    context = gx.get_context(mode="ephemeral")
    frame = pd.DataFrame({"value": valid + invalid})
    batch = context.data_sources.add_pandas("t").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    suite = context.suites.add(
        gx.ExpectationSuite(name="s", expectations=[{"type": expectation, "kwargs": {"column": "value"}}])
    )
    result = batch.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="COMPLETE")
    assert result.results[0].result["unexpected_index_list"] == list(range(len(valid), len(valid) + len(invalid)))


def test_gender_must_agree_with_the_resident_id() -> None:
    context = gx.get_context(mode="ephemeral")
    frame = pd.DataFrame(
        {
            "id": ["11010519491231002X", "11010119900307803X", "11010519491231002x", "11010519491231002X", None, "bad"],
            "gender": ["女", "男", "男", "M", "男", "女"],
        }
    )
    batch = context.data_sources.add_pandas("t").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    expectation = {
        "type": "expect_column_pair_values_gender_to_match_resident_id",
        "kwargs": {"column_A": "id", "column_B": "gender"},
    }
    suite = context.suites.add(gx.ExpectationSuite(name="s", expectations=[expectation]))
    result = batch.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="COMPLETE")
    assert result.results[0].result["unexpected_index_list"] == [2, 3]


def test_division_code_status() -> None:
    assert [division_code_status(c) for c in ("440305", "440301", "440399", None)] == [
        "current",
        "retired",
        "unknown",
        "unknown",
    ]


def _landed(frame: pd.DataFrame) -> pd.DataFrame:
    """The records as the pipeline sees them after landing: CSV text read back."""
    manifest = Manifest(
        feed="f", department="d", batch_id="b", sha256="", size=0, row_count=None, format="csv",
        encoding="utf-8", delimiter=",", source={}, schema=[], extracted_at="", data_key="",
    )  # fmt: skip
    return read_frame(manifest, frame.to_csv(index=False).encode())


def test_a_retired_division_code_warns_and_an_unknown_one_rejects() -> None:
    contract = get_contract("public_security__residents")
    records = generate_residents(60, seed=3, defect_rate=0).records
    records.loc[0, "division_code"] = "440301"
    records.loc[1, "division_code"] = "440399"
    outcome = validate(contract, "t", _landed(records))
    assert 0 not in outcome.reasons_by_row, "a retired code is not a reason to hold a record back"
    assert outcome.warnings == {"division_code:division_code_current": 2}
    assert outcome.reasons_by_row[1] == ["division_code:division_code_known"]


def test_the_residents_suite_catches_every_injected_defect_and_no_clean_row() -> None:
    residents = generate_residents(3000, seed=5, defect_rate=0.05)
    outcome = validate(get_contract("public_security__residents"), "t", _landed(residents.records))
    truth = residents.truth.reset_index(drop=True)
    held = set(outcome.reasons_by_row)
    caught_kinds = {"bad_check_digit", "impossible_birth_date", "missing_id", "missing_name", "gender_mismatch"}
    defective = set(truth.index[truth["defect"].isin(caught_kinds)])
    clean = set(truth.index[truth["defect"].isna()])
    assert defective and defective <= held, f"missed: {sorted(defective - held)[:5]}"
    assert not clean & held, f"clean rows held: {[(r, outcome.reasons_by_row[r]) for r in sorted(clean & held)[:5]]}"
