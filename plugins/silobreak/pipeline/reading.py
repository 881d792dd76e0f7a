"""Read a landed batch back as a frame of strings, whatever format and encoding it came in.

Validation must see what the department sent, so every value stays text (no type guessing), empty
strings become nulls, and a byte-order mark is dropped whichever encoding carries it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from silobreak.errors import SilobreakError
from silobreak.pipeline.landing import Manifest

BOMS = {"gb18030": b"\x84\x31\x95\x33", "utf-8": b"\xef\xbb\xbf", "utf-8-sig": b"\xef\xbb\xbf", "gbk": b""}


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text != "" else None


UNREADABLE = (UnicodeDecodeError, ValueError, json.JSONDecodeError)
"""What the parsers raise for a file that is not in the contract's format or encoding."""


def unreadable(manifest: Manifest, exc: Exception) -> SilobreakError:
    """The error for a batch that cannot be read as its contract says."""
    return SilobreakError(
        f"batch {manifest.batch_id} of feed {manifest.feed} cannot be read as {manifest.format} "
        f"in {manifest.encoding}: {exc}",
        hint="check the contract's source.format / source.encoding against the file the department sent",
    )


def read_frame(manifest: Manifest, data: bytes) -> pd.DataFrame:
    """The batch as a DataFrame of str/None, columns as the department named them."""
    try:
        if manifest.format == "csv":
            bom = BOMS.get(manifest.encoding, b"")
            if bom and data.startswith(bom):
                data = data[len(bom) :]
            codec = "utf-8" if manifest.encoding == "utf-8-sig" else manifest.encoding
            frame = pd.read_csv(
                io.BytesIO(data),
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=codec,
                sep=manifest.delimiter,
            )
        elif manifest.format == "jsonl":
            # split on newlines only: str.splitlines would also break on U+2028 inside a JSON string
            records = [json.loads(line) for line in data.decode(manifest.encoding).split("\n") if line.strip()]
            frame = pd.DataFrame.from_records(records)
        elif manifest.format == "xlsx":
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        else:
            raise SilobreakError(f"batch {manifest.batch_id}: unknown format {manifest.format!r}")
    except UNREADABLE as exc:
        raise unreadable(manifest, exc) from exc
    frame = frame.astype(object).map(_text)
    frame = frame.astype(object).where(frame.notna(), None)  # pandas would turn None back into NaN
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.reset_index(drop=True)
