"""Chunk by chunk, a batch reads and validates exactly as it does whole.

The departments' real files (the city's generator: gb18030 with a BOM, gbk, JSON Lines, Excel)
and the residents register as a gb18030 CSV, with duplicate keys placed across chunk boundaries,
are read whole (``read_frame`` + ``validate``) and in chunks of several sizes
(``iter_frames`` + ``validate_chunks``); the outcomes must be equal.
"""

from __future__ import annotations

import io
import random

import pandas as pd
import pytest

from silobreak.city.generate import generate_city
from silobreak.city.residents import generate_residents
from silobreak.city.writers import file_bytes
from silobreak.contracts import get_contract
from silobreak.expectations import vectorised
from silobreak.identifiers import division_code_status, is_valid_mobile, is_valid_resident_id
from silobreak.pipeline.chunked_validation import validate_chunks
from silobreak.pipeline.chunks import iter_frames, records_at
from silobreak.pipeline.landing import Manifest
from silobreak.pipeline.reading import BOMS, read_frame
from silobreak.pipeline.validation import Outcome, validate


def _manifest(feed: str, fmt: str, encoding: str) -> Manifest:
    return Manifest(
        feed=feed, department="d", batch_id="b", sha256="", size=0, row_count=None, format=fmt,
        encoding=encoding, delimiter=",", source={}, schema=[], extracted_at="", data_key="",
    )  # fmt: skip


def _first_row_again(data: bytes, fmt: str) -> bytes:
    """The file with its first record repeated at the end: a duplicate key in the first and last chunk."""
    lines = data.splitlines(keepends=True)
    return data + lines[1 if fmt == "csv" else 0]


@pytest.fixture(scope="module")
def city_files() -> dict[str, tuple[Manifest, bytes]]:
    city = generate_city(400, seed=11, defect_rate=0.05)
    files = {}
    for table in city.tables:
        if table.delivery == "file":
            fmt, encoding = str(table.file_format), str(table.encoding or "utf-8")
            data = file_bytes(table, 0)
            files[table.feed] = (
                _manifest(table.feed, fmt, encoding),
                data if fmt == "xlsx" else _first_row_again(data, fmt),
            )
    return files


@pytest.fixture(scope="module")
def residents_csv() -> tuple[Manifest, bytes]:
    """1,200 residents as gb18030 with a BOM, keys repeated across the boundaries of 500-row chunks."""
    records = generate_residents(1200, seed=5, defect_rate=0.1).records
    records.loc[1199, "person_no"] = records.loc[0, "person_no"]
    records.loc[500, "person_no"] = records.loc[499, "person_no"]
    records.loc[[600, 1100], "person_no"] = None  # nulls are missing, never duplicates
    records.loc[7, "division_code"] = "440301"  # retired: a warning
    data = BOMS["gb18030"] + records.to_csv(index=False).encode("gb18030")
    return _manifest("public_security__residents", "csv", "gb18030"), data


def _assert_same(chunked: Outcome, whole: Outcome) -> None:
    assert chunked.row_count == whole.row_count
    assert chunked.reasons_by_row == whole.reasons_by_row
    assert chunked.table_failures == whole.table_failures
    assert chunked.warnings == whole.warnings
    assert chunked.statistics == whole.statistics
    assert [r["expectation_config"]["type"] for r in chunked.results] == [
        r["expectation_config"]["type"] for r in whole.results
    ]
    for ours, theirs in zip(chunked.results, whole.results, strict=True):
        assert ours["success"] == theirs["success"]
        for key in ("element_count", "missing_count", "unexpected_count", "observed_value"):
            assert ours["result"].get(key) == theirs["result"].get(key), (ours["expectation_config"], key)


def test_chunks_are_the_whole_frame_cut_at_global_positions(city_files, residents_csv) -> None:  # type: ignore[no-untyped-def]
    for manifest, data in [*city_files.values(), residents_csv]:
        whole = read_frame(manifest, data)
        for rows in (1, 97, len(whole) + 1):
            chunks = list(iter_frames(manifest, io.BytesIO(data), rows))
            assert all(len(c) <= rows for c in chunks)
            pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_index_type=False)


def test_the_residents_register_validates_the_same_in_chunks(residents_csv) -> None:  # type: ignore[no-untyped-def]
    manifest, data = residents_csv
    contract = get_contract(manifest.feed)
    whole = validate(contract, "b", read_frame(manifest, data))
    duplicated = [row for row, reasons in whole.reasons_by_row.items() if "person_no:key_unique" in reasons]
    assert {0, 1199, 499, 500} <= set(duplicated) and not {600, 1100} & set(duplicated)
    assert whole.warnings == {"division_code:division_code_current": 1}
    for rows in (500, 499, 1200):
        _assert_same(validate_chunks(contract, "b", iter_frames(manifest, io.BytesIO(data), rows)), whole)
    frame = read_frame(manifest, data)
    held = dict(records_at(iter_frames(manifest, io.BytesIO(data), 500), whole.reasons_by_row))
    assert held == {n: frame.iloc[n].to_dict() for n in whole.reasons_by_row}


@pytest.mark.parametrize(
    "feed",
    [
        "market_regulation__enterprises",  # csv, gb18030 with a BOM
        "health__vaccinations",  # csv, gbk
        "health__clinic_visits",  # jsonl
        "market_regulation__food_business_licences",  # jsonl
        "market_regulation__business_licences",  # xlsx
    ],
)
def test_department_files_validate_the_same_in_chunks(city_files, feed: str) -> None:  # type: ignore[no-untyped-def]
    manifest, data = city_files[feed]
    contract = get_contract(feed)
    whole = validate(contract, "b", read_frame(manifest, data))
    assert whole.invalid_count, "the generator's defects and the repeated first row must be caught"
    for rows in (64, 1000):
        _assert_same(validate_chunks(contract, "b", iter_frames(manifest, io.BytesIO(data), rows)), whole)


def test_schema_drift_and_an_empty_batch_are_reported_as_whole(residents_csv) -> None:  # type: ignore[no-untyped-def]
    manifest, data = residents_csv
    contract = get_contract(manifest.feed)
    drifted = read_frame(manifest, data).head(300).rename(columns={"phone": "mobile"})
    chunks = [drifted.iloc[i : i + 100] for i in range(0, 300, 100)]
    _assert_same(validate_chunks(contract, "b", chunks), validate(contract, "b", drifted))
    empty = pd.DataFrame(columns=contract.column_names)
    chunked = validate_chunks(contract, "b", [empty])
    assert chunked.gate_failures(contract) == validate(contract, "b", empty).gate_failures(contract)


def test_the_vectorised_checks_agree_with_the_per_value_functions() -> None:
    rng = random.Random(1)
    ids = [v for v in generate_residents(2000, seed=9, defect_rate=0.2).records["id_card_no"] if isinstance(v, str)]
    values: list[str | None] = [
        *ids,
        None,
        "",
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        " 11010519491231002X",
    ]
    values += [
        "110105190002290028",
        "110105200002290024",
        "110105189912310021",
        "110105209912310021",
        "11010519491231002",
    ]
    for _ in range(3000):  # one character changed: shapes, dates and check digits the fast path must get right
        chars = list(rng.choice(ids))
        chars[rng.randrange(18)] = rng.choice("0123456789Xx １")
        values.append("".join(chars))
    column = pd.Series(values, dtype=object)
    assert list(vectorised.valid_resident_ids(column)) == [is_valid_resident_id(v) for v in values]
    genders = pd.Series([rng.choice(["男", "女", "M", " f ", "x", None, "2"]) for _ in values], dtype=object)
    assert list(vectorised.genders_match_resident_ids(column, genders)) == [
        vectorised.gender_matches(a, b) for a, b in zip(values, genders, strict=True)
    ]
    phones = [
        "13800138000",
        "+86 138-0013-8000",
        "12345678901",
        "1380013800",
        "１３８００１３８０００",
        "8613800138000",
        None,
    ]
    assert list(vectorised.valid_mobiles(pd.Series(phones, dtype=object))) == [is_valid_mobile(p) for p in phones]
    codes = ["440305", "440301", " 440305", "440399", "４４０３０５", None]
    for statuses in ({"current"}, {"current", "retired"}):
        assert list(vectorised.division_statuses_in(pd.Series(codes, dtype=object), frozenset(statuses))) == [
            division_code_status(c) in statuses for c in codes
        ]
