"""The feed's real suite, run by Great Expectations on small frames: row reasons and the batch gate."""

from __future__ import annotations

import pandas as pd
import pytest

from silobreak.contracts import Quality, Volume, get_contract
from silobreak.pipeline.validation import validate, volume_finding

CONTRACT = get_contract("public_security__residents")


def _row(**values: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "person_no": "SZ0000000001",
        "name": "王小明",
        "gender": "女",
        "birth_date": "1949-12-31",
        "id_card_no": "11010519491231002X",
        "division_code": "440305",
        "registered_address": "深圳市南山区粤海街道科技南路18号",
        "household_no": "440305000000001",
        "phone": "13800138000",
        "updated_at": "2026-01-01 00:00:00+08",
    }
    row.update(values)
    return row


@pytest.fixture(scope="module")
def outcome():  # type: ignore[no-untyped-def]
    rows = [
        _row(),
        _row(person_no="SZ2", id_card_no="110105194912310021"),  # bad check digit
        _row(person_no="SZ3", id_card_no="11010519491331002X"),  # month 13
        _row(person_no="SZ4", id_card_no=None, name=None),
        _row(person_no="SZ5", id_card_no="11010519491231002x"),  # lower-case x is fine
        _row(person_no="SZ6", gender="M"),
    ] + [_row(person_no=f"OK{i}") for i in range(20)]
    return validate(CONTRACT, "test", pd.DataFrame(rows, dtype=object))


def test_each_invalid_row_has_every_check_it_failed(outcome) -> None:  # type: ignore[no-untyped-def]
    assert {row: sorted(reasons) for row, reasons in outcome.reasons_by_row.items()} == {
        1: ["id_card_no:resident_id_valid"],
        2: ["id_card_no:resident_id_valid"],
        3: ["id_card_no:resident_id_present", "name:name_present"],
        5: ["gender:gender_in_domain", "gender:gender_matches_resident_id"],  # "M" on a woman's ID
    }


def test_valid_batch_passes_the_gate(outcome) -> None:  # type: ignore[no-untyped-def]
    assert outcome.valid_count == 22
    assert outcome.gate_failures(CONTRACT) == []


def test_schema_drift_stops_the_batch() -> None:
    frame = pd.DataFrame([_row()]).rename(columns={"phone": "mobile"})
    failures = validate(CONTRACT, "drift", frame).gate_failures(CONTRACT)
    assert failures == ["schema drift: missing columns ['phone'], unexpected columns ['mobile']"]


def test_too_many_invalid_rows_stop_the_batch() -> None:
    frame = pd.DataFrame([_row(person_no=f"B{i}", id_card_no="123") for i in range(3)] + [_row()])
    failures = validate(CONTRACT, "bad", frame).gate_failures(CONTRACT)
    assert any("75.0% of rows are invalid" in f for f in failures)


def test_an_empty_batch_stops() -> None:
    frame = pd.DataFrame(columns=CONTRACT.column_names)
    assert "the batch is empty" in validate(CONTRACT, "empty", frame).gate_failures(CONTRACT)


@pytest.mark.parametrize(
    ("rows", "recent", "finding"),
    [
        (1000, [], None),  # no history yet: nothing to compare with
        (1000, [1000, 980, 1020], None),
        (1400, [1000, 1000, 1000], None),  # +40% is within the default 50%
        (400, [1000, 990, 1010], "400 rows is 60% below the 1,000 rows of the median of the last 3 loaded"),
        (2600, [1000, 1000, 1000, 9, 9, 9999], "2,600 rows is 160% above the 1,000 rows of the median of the last 5"),
        (5, [0, 0], "volume: 5 rows where the last loaded batches had none"),
    ],
)
def test_volume_is_compared_with_the_median_of_recent_loaded_batches(
    rows: int, recent: list[int], finding: str | None
) -> None:
    found = volume_finding(rows, recent, CONTRACT.quality.volume.model_copy(update={"history": 5}))
    assert (found is None) if finding is None else (found is not None and finding in found)


def test_a_volume_breach_warns_or_rejects_as_the_contract_says(outcome) -> None:  # type: ignore[no-untyped-def]
    outcome.volume = "volume: 26 rows is 97% below the 1,000 rows of the median of the last 5 loaded batches"
    try:
        lenient = {"max_invalid_share": 0.25}
        warn = CONTRACT.model_copy(update={"quality": Quality(**lenient, volume=Volume(on_breach="warn"))})
        reject = CONTRACT.model_copy(update={"quality": Quality(**lenient, volume=Volume(on_breach="reject"))})
        assert outcome.gate_failures(warn) == [] and outcome.volume in outcome.warning_messages(warn)
        assert outcome.gate_failures(reject) == [outcome.volume]
        assert outcome.volume not in outcome.warning_messages(reject)
    finally:
        outcome.volume = None


def test_results_are_kept_one_row_per_expectation(outcome) -> None:  # type: ignore[no-untyped-def]
    rows = {r["check_name"]: r for r in outcome.result_rows()}
    assert len(rows) == len(outcome.results), "check names are unique within a suite"
    assert rows["id_card_no:resident_id_valid"]["success"] is False
    assert rows["id_card_no:resident_id_valid"]["unexpected_count"] == 2
    assert rows["id_card_no:resident_id_valid"]["element_count"] == 26
    assert {r["severity"] for r in rows.values()} <= {"critical", "warning", "info"}
