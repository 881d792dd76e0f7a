"""Write the city where the pipeline finds it, and its truth where the pipeline never looks.

* Postgres tables and the API's table: ``departments.<department>.<entity>``,
  replaced in one transaction per table with ``COPY`` (identifiers quoted by
  :mod:`psycopg.sql`). The API table gets an index on ``updated_at`` for the
  service that pages through it.
* File drops: ``s3://inbox/<department>/<entity>/<YYYY-MM-DD>.<ext>`` in the
  declared format and encoding. The inbox is write-once: an existing object
  with the same bytes is left alone, one with other bytes is an error.
* Truth: parquet under ``<stack>/truth/`` (outside every database and bucket
  the pipeline reads), one file per table and day, plus the true persons and
  enterprises and a ``city.json`` index; and, for the tests that read it, the
  register's truth as CSV at ``truth/public_security__residents.csv``.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from psycopg import sql

from silobreak.city.model import City, SourceTable, date_of_day
from silobreak.settings import INBOX_BUCKET, SOURCES_DB, Stack

__all__ = [
    "INBOX_BUCKET",
    "RESIDENTS_TRUTH_CSV",
    "file_bytes",
    "inbox_object_name",
    "truth_dir",
    "write_city",
    "write_postgres_table",
]

RESIDENTS_TRUTH_CSV = "public_security__residents.csv"
_RESIDENTS_TRUTH_COLUMNS = ["person_no", "person_id", "defect", "variation"]

_SQL_TYPES = {
    "text": "text",
    "integer": "integer",
    "numeric": "numeric",
    "date": "date",
    "timestamptz": "timestamptz",
    "boolean": "boolean",
}
_INFORMATION_SCHEMA_TYPES = {
    "text": "text",
    "integer": "integer",
    "numeric": "numeric",
    "date": "date",
    "timestamptz": "timestamp with time zone",
    "boolean": "boolean",
}
_CONTENT_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_COPY_CHUNK = 8 << 20


def truth_dir(stack: Stack) -> Path:
    """Where the generator's truth goes: outside every bucket and database the pipeline reads."""
    return stack.dir / "truth"


def inbox_object_name(table: SourceTable, day: int) -> str:
    """``<department>/<entity>/<YYYY-MM-DD>.<ext>``: the object of a file drop in the inbox bucket."""
    if table.file_format is None:
        raise ValueError(f"{table.name} is not delivered as a file")
    return f"{table.department}/{table.entity}/{date_of_day(day).isoformat()}.{table.file_format}"


# --------------------------------------------------------------------------
# Files.
# --------------------------------------------------------------------------


def _timestamp_text(column: Any, *, iso: bool) -> Any:
    """Local time as text: ``2026-10-31 14:03:22`` (CSV, Excel) or ``2026-10-31T14:03:22+08:00`` (JSON)."""
    local = column.dt.tz_localize(None)  # wall-clock time in Asia/Shanghai
    text = np.datetime_as_string(local.to_numpy("M8[s]"), unit="s")
    out = np.char.add(text, "+08:00") if iso else np.char.replace(text, "T", " ")
    return pd.Series(out.astype(object), index=column.index, dtype=object)


def _as_text_frame(records: pd.DataFrame, *, iso: bool) -> pd.DataFrame:
    out = records.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.DatetimeTZDtype):
            out[name] = _timestamp_text(out[name], iso=iso)
    return out


def _csv(table: SourceTable) -> bytes:
    text: str = _as_text_frame(table.records, iso=False).to_csv(index=False, lineterminator="\r\n")
    if table.bom:
        text = "\ufeff" + text
    return text.encode(table.encoding or "utf-8")


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _jsonl(table: SourceTable) -> bytes:
    frame = _as_text_frame(table.records, iso=True)
    columns = list(frame.columns)
    lines = [
        json.dumps(dict(zip(columns, map(_json_value, row), strict=True)), ensure_ascii=False)
        for row in frame.itertuples(index=False, name=None)
    ]
    return ("\n".join(lines) + ("\n" if lines else "")).encode(table.encoding or "utf-8")


def _xlsx(table: SourceTable, day: int) -> bytes:
    """An Excel workbook, byte-for-byte the same for the same records (fixed times inside)."""
    from openpyxl import Workbook

    frame = _as_text_frame(table.records, iso=False)
    book = Workbook(write_only=True)
    when = datetime.datetime.combine(date_of_day(day), datetime.time())
    book.properties.created = when
    book.properties.modified = when
    book.properties.creator = table.department
    sheet = book.create_sheet(table.entity)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_json_value(v) for v in row])
    raw = io.BytesIO()
    book.save(raw)
    # Saving stamps the time of writing (zip entries, dcterms:modified): pin it, so that the
    # bytes depend on the records only and a second delivery of the same day is a no-op.
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", data
                )
            pinned = zipfile.ZipInfo(info.filename, date_time=(when.year, when.month, when.day, 0, 0, 0))
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            target.writestr(pinned, data)
    return fixed.getvalue()


def file_bytes(table: SourceTable, day: int) -> bytes:
    """The file a department drops for ``table`` on ``day``, in its declared format and encoding."""
    if table.file_format == "csv":
        return _csv(table)
    if table.file_format == "jsonl":
        return _jsonl(table)
    if table.file_format == "xlsx":
        return _xlsx(table, day)
    raise ValueError(f"{table.name} is not delivered as a file")


def _put_once(s3: Any, name: str, data: bytes, content_type: str) -> bool:
    """Drop a file into the inbox once (see ``landing.put_once``); the same day's file again is left alone."""
    from silobreak.pipeline.landing import put_once

    return put_once(s3, INBOX_BUCKET, name, data, content_type)


# --------------------------------------------------------------------------
# Postgres.
# --------------------------------------------------------------------------


def _copy_frame(table: SourceTable) -> pa.Table:
    """The records as Arrow, with timestamps as UTC text that COPY reads exactly."""
    records = table.records
    columns: dict[str, Any] = {}
    for name in records.columns:
        column = records[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            utc = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("M8[us]")
            text = np.char.add(np.datetime_as_string(utc), "+00").astype(object)
            text[column.isna().to_numpy()] = None
            columns[name] = pa.array(text, type=pa.string())
        elif column.dtype == object:
            kind = table.column_types.get(name, "text")
            columns[name] = pa.array(column.to_numpy(), type=pa.date32() if kind == "date" else pa.string())
        else:
            columns[name] = pa.Array.from_pandas(column)
    return pa.table(columns)


def _chunks(data: pa.Table) -> Iterator[bytes]:
    sink = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in data.to_batches(max_chunksize=50_000):
        pa_csv.write_csv(pa.Table.from_batches([batch], schema=data.schema), sink, write_options=options)
        if sink.tell() >= _COPY_CHUNK:
            yield sink.getvalue()
            sink = io.BytesIO()
    if sink.tell():
        yield sink.getvalue()


def write_postgres_table(table: SourceTable, conninfo: str) -> int:
    """Replace the department's table with the records (never the truth), in one transaction.

    The table is created from the declared column types (key as primary key)
    and dropped first only if an older one has other columns. Returns rows written.
    """
    schema, name = table.department, table.entity
    target = sql.Identifier(schema, name)
    declared = [(c, table.column_types.get(c, "text")) for c in table.records.columns]
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_SQL_TYPES[t])) for c, t in declared
    )
    ddl = sql.SQL("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))").format(
        target, columns, sql.Identifier(table.key)
    )
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        existing = cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, name),
        ).fetchall()
        wanted = [(c, _INFORMATION_SCHEMA_TYPES[t]) for c, t in declared]
        if existing and [tuple(r) for r in existing] != wanted:
            cur.execute(sql.SQL("DROP TABLE {}").format(target))
        cur.execute(ddl)
        if table.delivery == "api":
            cur.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({}, {})").format(
                    sql.Identifier(f"{name}_updated_at_idx"),
                    target,
                    sql.Identifier("updated_at"),
                    sql.Identifier(table.key),
                )
            )
        cur.execute(sql.SQL("TRUNCATE {}").format(target))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c, _ in declared)
        )
        with cur.copy(copy_sql) as copy:
            for chunk in _chunks(_copy_frame(table)):
                copy.write(chunk)
        written = cur.rowcount
    return written if written >= 0 else len(table.records)


# --------------------------------------------------------------------------
# Truth.
# --------------------------------------------------------------------------


def _parquet(frame: pd.DataFrame, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return str(path.relative_to(path.parents[1]))


def _write_truth(city: City, out: Path) -> dict[str, Any]:
    date = city.date.isoformat()
    index: dict[str, Any] = {"scale": city.scale, "seed": city.seed, "day": city.day, "date": date, "tables": []}
    for table in city.tables:
        entry: dict[str, Any] = {
            "department": table.department,
            "entity": table.entity,
            "key": table.key,
            "delivery": table.delivery,
            "file_format": table.file_format,
            "encoding": table.encoding,
            "bom": table.bom,
            "records": len(table.records),
            "truth": _parquet(table.truth, out / table.feed / f"{date}.parquet"),
        }
        if table.delivery == "postgres":
            entry["deleted"] = _parquet(table.deleted, out / table.feed / f"{date}.deleted.parquet")
        index["tables"].append(entry)
    index["persons"] = _parquet(city.persons, out / "persons" / f"{date}.parquet")
    index["enterprises"] = _parquet(city.enterprises, out / "enterprises" / f"{date}.parquet")
    residents = city.table("public_security.residents")
    residents.truth[_RESIDENTS_TRUTH_COLUMNS].to_csv(out / RESIDENTS_TRUTH_CSV, index=False)
    (out / "city.json").write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return index


def write_city(city: City, stack: Stack, *, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Deliver the city to the stack's departments and write its truth; returns rows per ``department.entity``.

    ``progress(name, rows)`` is called after each table is delivered.
    """
    written: dict[str, int] = {}
    s3: Any = None
    for table in city.tables:
        if table.delivery in ("postgres", "api"):
            written[table.name] = write_postgres_table(table, stack.dsn(SOURCES_DB))
        else:
            if s3 is None:
                from silobreak.stack.s3 import client

                s3 = client(stack)
                if not s3.bucket_exists(INBOX_BUCKET):
                    s3.make_bucket(INBOX_BUCKET)
            assert table.file_format is not None
            _put_once(
                s3, inbox_object_name(table, city.day), file_bytes(table, city.day), _CONTENT_TYPES[table.file_format]
            )
            written[table.name] = len(table.records)
        if progress is not None:
            progress(table.name, written[table.name])
    out = truth_dir(stack)
    out.mkdir(parents=True, exist_ok=True)
    _write_truth(city, out)
    if progress is not None:
        progress("truth", 0)
    return written
