"""Read a landed batch as frames of at most N rows, straight from its byte stream.

A batch of millions of rows must not be held in memory whole (neither its bytes nor its frame),
so validation and loading can walk it chunk by chunk. Each frame is what
:func:`silobreak.pipeline.reading.read_frame` would give for those rows (text or None, columns as
named, byte-order mark dropped) and is indexed by the rows' 0-based positions in the whole batch,
so row numbers in reasons and in raw tables are the same as when the batch is read whole.

Spreadsheets are read whole and then sliced: departments' xlsx files are small, and openpyxl's
streaming mode would not save much for them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Collection, Iterable, Iterator
from typing import IO, Any

import numpy as np
import pandas as pd

from silobreak.errors import SilobreakError
from silobreak.pipeline.landing import Manifest
from silobreak.pipeline.reading import BOMS, UNREADABLE, _text, read_frame, unreadable

DEFAULT_CHUNK_ROWS = 100_000
"""Rows per frame: large enough that Great Expectations' fixed cost per run is small, small
enough that a chunk of a wide table stays in the tens of MiB."""


class _Prefixed(io.RawIOBase):
    """A stream with some bytes already taken off its front put back (after a BOM check)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _without_bom(stream: IO[bytes], bom: bytes) -> IO[bytes]:
    head = b""
    while len(head) < len(bom):
        more = stream.read(len(bom) - len(head))
        if not more:
            break
        head += more
    if bom and head == bom:
        head = b""
    return io.BufferedReader(_Prefixed(head, stream), buffer_size=1 << 20)


def _indexed(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


def _csv_frames(manifest: Manifest, stream: IO[bytes], rows: int) -> Iterator[pd.DataFrame]:
    codec = "utf-8" if manifest.encoding == "utf-8-sig" else manifest.encoding
    reader = pd.read_csv(
        _without_bom(stream, BOMS.get(manifest.encoding, b"")),
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        encoding=codec,
        sep=manifest.delimiter,
        chunksize=rows,
    )
    start = 0
    with reader:
        for chunk in reader:
            # read as text, the only values are str and NaN: what reading._text makes of them, without a call per cell
            frame = chunk.astype(object)
            frame = frame.where(frame.notna(), None)
            frame.columns = [str(c).strip() for c in frame.columns]
            yield _indexed(frame, start)
            start += len(frame)


def _jsonl_frames(manifest: Manifest, stream: IO[bytes], rows: int) -> Iterator[pd.DataFrame]:
    columns: list[str] = []
    start = 0
    records: list[dict[str, Any]] = []
    text = io.TextIOWrapper(stream, encoding=manifest.encoding, newline=None)
    for line in text:
        if line.strip():
            records.append(json.loads(line))
        if len(records) == rows:
            yield _jsonl_frame(records, columns, start)
            start, records = start + rows, []
    if records or not start:
        yield _jsonl_frame(records, columns, start)


def _jsonl_frame(records: list[dict[str, Any]], columns: list[str], start: int) -> pd.DataFrame:
    """Records as a frame with the columns of every record so far, in order of first appearance
    (as one frame of the whole batch has them); ``columns`` grows with new keys."""
    frame = pd.DataFrame.from_records(records)
    columns.extend(c for c in frame.columns if c not in columns)
    frame = frame.reindex(columns=columns).astype(object).map(_text)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.columns = [str(c).strip() for c in frame.columns]
    return _indexed(frame, start)


def _sliced(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(frame), 1), rows):
        yield frame.iloc[start : start + rows]


def iter_frames(manifest: Manifest, stream: IO[bytes], rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The batch as frames of at most ``rows`` rows (at least one frame, maybe empty, so the
    columns are always seen), indexed by position in the batch."""
    if rows < 1:
        raise SilobreakError(f"chunks need at least one row, got {rows}", hint="pass a positive chunk size")
    try:
        if manifest.format == "csv":
            yield from _csv_frames(manifest, stream, rows)
        elif manifest.format == "jsonl":
            yield from _jsonl_frames(manifest, stream, rows)
        elif manifest.format == "xlsx":
            yield from _sliced(read_frame(manifest, stream.read()), rows)
        else:
            raise SilobreakError(f"batch {manifest.batch_id}: unknown format {manifest.format!r}")
    except UNREADABLE as exc:
        raise unreadable(manifest, exc) from exc


def records_at(frames: Iterable[pd.DataFrame], rows: Collection[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(position, record) of the given rows, in batch order, from a second pass over the chunks:
    which rows to quarantine is only known once the last chunk was validated (duplicates)."""
    wanted = np.fromiter(rows, dtype=np.int64, count=len(rows))
    for frame in frames:
        for position in frame.index[np.isin(frame.index.to_numpy(), wanted)]:
            yield int(position), frame.loc[position].to_dict()
