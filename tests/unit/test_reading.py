"""Landed batches read back as text, whatever format and encoding the department used."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from silobreak.errors import SilobreakError
from silobreak.pipeline.landing import Manifest
from silobreak.pipeline.reading import read_frame

ROWS = [
    {"id_card_no": "11010519491231002X", "name": "王小明", "amount": "12.50"},
    {"id_card_no": None, "name": "李四", "amount": "0"},
]


def manifest(fmt: str, encoding: str = "utf-8", delimiter: str = ",") -> Manifest:
    return Manifest(
        feed="f", department="d", batch_id="b", sha256="", size=0, row_count=None, format=fmt,
        encoding=encoding, delimiter=delimiter, source={}, schema=[], extracted_at="", data_key="",
    )  # fmt: skip


def csv_bytes(encoding: str, bom: bytes = b"", delimiter: str = ",") -> bytes:
    text = pd.DataFrame(ROWS).to_csv(index=False, sep=delimiter)
    return bom + text.encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "bom", "declared"),
    [
        ("gbk", b"", "gbk"),
        ("gb18030", b"\x84\x31\x95\x33", "gb18030"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8"),
        ("utf-8", b"", "utf-8"),
    ],
)
def test_csv_in_every_encoding_departments_use(encoding: str, bom: bytes, declared: str) -> None:
    frame = read_frame(manifest("csv", declared), csv_bytes(encoding, bom))
    assert list(frame.columns) == ["id_card_no", "name", "amount"]
    assert frame.to_dict("records") == ROWS


def test_other_delimiters() -> None:
    assert read_frame(manifest("csv", delimiter="|"), csv_bytes("utf-8", delimiter="|")).to_dict("records") == ROWS


def test_json_lines_keep_values_as_text() -> None:
    lines = [json.dumps({"id_card_no": "1", "n": 12.5, "ok": True, "nested": {"a": 1}, "none": None})]
    frame = read_frame(manifest("jsonl"), "\n".join(lines).encode())
    assert frame.iloc[0].to_dict() == {"id_card_no": "1", "n": "12.5", "ok": "true", "nested": '{"a": 1}', "none": None}


def test_xlsx() -> None:
    buffer = io.BytesIO()
    pd.DataFrame(ROWS).to_excel(buffer, index=False)
    assert read_frame(manifest("xlsx"), buffer.getvalue()).to_dict("records") == ROWS


def test_a_wrong_encoding_says_what_to_check() -> None:
    with pytest.raises(SilobreakError, match=r"source\.encoding"):
        read_frame(manifest("csv", "utf-8"), csv_bytes("gbk"))


def test_a_line_separator_inside_a_json_string_is_not_a_new_record() -> None:
    lines = [json.dumps({"name": "王\u2028小明", "id_card_no": "x"}, ensure_ascii=False), json.dumps({"name": "b"})]
    frame = read_frame(manifest("jsonl"), "\n".join(lines).encode())
    assert frame["name"].tolist() == ["王\u2028小明", "b"]
