"""`silobreak feed new`'s inference, on the tutorial's GBK sample and on encodings departments use."""

from __future__ import annotations

import pytest

from silobreak.contracts import parse_contract
from silobreak.errors import SilobreakError
from silobreak.onboarding import _contract_yaml, detect_encoding, infer, suite_for
from silobreak.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "docs" / "tutorial" / "rental_contracts.csv"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("姓名,身份证\n".encode("gbk"), "gbk"),
        (b"\x84\x31\x95\x33" + "姓名\n".encode("gb18030"), "gb18030"),
        (b"\xef\xbb\xbf" + "姓名\n".encode(), "utf-8-sig"),
        ("姓名\n".encode(), "utf-8"),
        ("𠀀\n".encode("gb18030"), "gb18030"),  # outside GBK
    ],
)
def test_encodings_are_told_apart(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


def test_the_tutorial_sample_is_understood() -> None:
    guess = infer(SAMPLE.read_bytes(), SAMPLE.name)
    by_name = {c.name: c for c in guess.columns}
    assert (guess.format, guess.encoding, guess.delimiter, guess.key) == ("csv", "gbk", ",", "contract_no")
    assert by_name["tenant_id_card_no"].maps_to == "person.resident_id"
    assert by_name["tenant_id_card_no"].sensitivity == "L4"
    assert by_name["tenant_name"].maps_to == "person.name"
    assert (by_name["tenant_phone"].type, by_name["tenant_phone"].maps_to) == ("text", "person.mobile")
    assert by_name["monthly_rent"].type == "numeric"
    assert by_name["start_date"].type == "date"
    assert by_name["registered_at"].type == "timestamptz"


def test_the_scaffolded_contract_and_suite_are_valid() -> None:
    guess = infer(SAMPLE.read_bytes(), SAMPLE.name)
    source = {
        "kind": "file_drop",
        "prefix": "housing/rental_contracts/",
        "pattern": "*.csv",
        "format": "csv",
        "encoding": "gbk",
    }
    text = _contract_yaml("housing", "rental_contracts", guess, source, "Housing", "data@housing.example.gov.cn")
    contract = parse_contract(text, "new contract")
    types = [e["type"] for e in suite_for(contract)["expectations"]]
    assert "expect_column_values_to_be_valid_resident_id" in types
    assert "expect_column_values_to_be_unique" in types


def test_chinese_headers_get_a_clear_message() -> None:
    with pytest.raises(SilobreakError, match="ASCII"):
        infer("姓名,身份证号\n张三,1\n".encode("gbk"), "sample.csv")
