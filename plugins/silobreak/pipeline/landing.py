"""Bring a department's records into the landing bucket as immutable batches with manifests.

Three kinds of source, one shape of batch:

- a Postgres table or query is dumped (in key order) to CSV; with an ``incremental`` column only
  rows past the last landed value are taken;
- every file the department dropped into its inbox folder becomes one batch, its bytes landed
  unchanged (encoding, BOM and all), because the landing bucket is the record of what was sent;
- an HTTP API is paged through (only records changed since the last batch, when the contract names
  an ``incremental`` column) and the records are landed as JSON Lines.

A batch is addressed by the sha256 of its content, so unchanged content is never landed twice.
Objects are written once and never overwritten; the manifest goes last and marks a complete batch.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
from minio import Minio
from minio.error import S3Error
from psycopg import sql

from silobreak.contracts import FeedContract, FileDropSource, HttpApiSource, PostgresSource
from silobreak.errors import SilobreakError
from silobreak.settings import LANDING_BUCKET, Stack

MANIFEST_FILE = "manifest.json"
SUPERSEDES_METADATA = "supersedes"
"""Object metadata a department sets on a corrected file: the batch id (or the inbox object) it replaces."""
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}


@dataclass(frozen=True)
class Manifest:
    """What was landed: enough to read the batch back, check it, and trace it to its source."""

    feed: str
    department: str
    batch_id: str
    sha256: str
    size: int
    row_count: int | None
    format: str
    encoding: str
    delimiter: str
    source: dict[str, str]
    schema: list[dict[str, str]]
    extracted_at: str
    data_key: str
    watermark: str | None = None
    """Highest value of the contract's incremental column in this batch (where it has one)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Read a manifest, also one written by an earlier silobreak (landed data is kept forever)."""
        data = json.loads(raw)
        if "bytes" in data:  # first version's name of `size`
            data["size"] = data.pop("bytes")
        data.setdefault("delimiter", ",")
        return cls(**data)


def batch_prefix(contract: FeedContract, batch_id: str) -> str:
    return f"{contract.department}/{contract.entity}/batch={batch_id}"


def exists(s3: Minio, bucket: str, key: str) -> bool:
    try:
        s3.stat_object(bucket, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
            return False
        raise
    return True


def put_once(
    s3: Minio, bucket: str, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None
) -> bool:
    """Write an object once: True if written, False if the same bytes are already there. Other
    bytes under the same name are an error: these objects are records and are never replaced."""
    if exists(s3, bucket, key):
        old = get_bytes(s3, bucket, key)
        if old == data:
            return False
        raise SilobreakError(
            f"s3://{bucket}/{key} already exists with other content (sha256 "
            f"{hashlib.sha256(old).hexdigest()[:12]} != {hashlib.sha256(data).hexdigest()[:12]})",
            hint="objects here are write-once: give new content a new name",
        )
    s3.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type, metadata=metadata)  # type: ignore[arg-type]
    return True


def get_bytes(s3: Minio, bucket: str, key: str) -> bytes:
    response = s3.get_object(bucket, key)
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


def read_manifest(s3: Minio, contract: FeedContract, batch_id: str) -> Manifest:
    return Manifest.from_json(get_bytes(s3, LANDING_BUCKET, f"{batch_prefix(contract, batch_id)}/{MANIFEST_FILE}"))


def read_batch(s3: Minio, manifest: Manifest) -> bytes:
    """The landed bytes, checked against the manifest's sha256 so a damaged object is never used."""
    data = get_bytes(s3, LANDING_BUCKET, manifest.data_key)
    if hashlib.sha256(data).hexdigest() != manifest.sha256:
        raise SilobreakError(
            f"landed object {LANDING_BUCKET}/{manifest.data_key} does not match its manifest's sha256",
            hint="the landing bucket was changed outside silobreak; restore the object from backup",
        )
    return data


class _CheckedStream(io.RawIOBase):
    """The landed object as a stream that hashes what it gives out (see :func:`open_batch`)."""

    def __init__(self, response: Any, manifest: Manifest) -> None:
        self._response, self._manifest = response, manifest
        self._digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._response.read(len(buffer))
        self._digest.update(data)
        buffer[: len(data)] = data
        return len(data)

    def verify(self) -> None:
        while self.read(1 << 20):  # hash what the reader left unread
            pass
        if self._digest.hexdigest() != self._manifest.sha256:
            raise SilobreakError(
                f"landed object {LANDING_BUCKET}/{self._manifest.data_key} does not match its manifest's sha256",
                hint="the landing bucket was changed outside silobreak; restore the object from backup",
            )


@contextmanager
def open_batch(s3: Minio, manifest: Manifest) -> Iterator[IO[bytes]]:
    """The landed bytes as a stream, for reading a batch in chunks without holding it. The sha256 is
    checked when the reader is done: a damaged object raises before anything read from it is kept."""
    response = s3.get_object(LANDING_BUCKET, manifest.data_key)
    stream = _CheckedStream(response, manifest)
    try:
        buffered = io.BufferedReader(stream, buffer_size=1 << 20)
        yield buffered
        stream.verify()
    finally:
        response.close()
        response.release_conn()


@dataclass(frozen=True)
class _Extracted:
    """One batch's content before landing."""

    path: Path
    sha256: str
    size: int
    row_count: int | None
    format: str
    encoding: str
    delimiter: str
    source: dict[str, str]
    watermark: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def _land(contract: FeedContract, s3: Minio, extracted: _Extracted) -> tuple[Manifest, bool]:
    batch_id = extracted.sha256[:16]
    prefix = batch_prefix(contract, batch_id)
    manifest_key = f"{prefix}/{MANIFEST_FILE}"
    if exists(s3, LANDING_BUCKET, manifest_key):
        return read_manifest(s3, contract, batch_id), False
    data_key = f"{prefix}/data.{EXTENSIONS[extracted.format]}"
    if not exists(s3, LANDING_BUCKET, data_key):
        s3.fput_object(LANDING_BUCKET, data_key, str(extracted.path), content_type="application/octet-stream")
    manifest = Manifest(
        feed=contract.feed,
        department=contract.department,
        batch_id=batch_id,
        sha256=extracted.sha256,
        size=extracted.size,
        row_count=extracted.row_count,
        format=extracted.format,
        encoding=extracted.encoding,
        delimiter=extracted.delimiter,
        source=extracted.source,
        schema=[{"name": c.name, "type": c.type} for c in contract.columns],
        extracted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        data_key=data_key,
        watermark=extracted.watermark,
        extra=extracted.extra,
    )
    put_once(s3, LANDING_BUCKET, manifest_key, manifest.to_json(), "application/json")
    return manifest, True


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


# --- Postgres -----------------------------------------------------------------------------------


def _source_query(contract: FeedContract, source: PostgresSource, watermark: str | None) -> sql.Composable:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in contract.column_names)
    if source.table:
        schema, table = source.table.split(".")
        relation: sql.Composable = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    else:
        relation = sql.SQL("({}) as q").format(sql.SQL(source.query or ""))  # checked: a single SELECT
    where: sql.Composable = sql.SQL("")
    if source.incremental and watermark is not None:
        where = sql.SQL(" where {}::text > {}").format(sql.Identifier(source.incremental), sql.Literal(watermark))
    order = sql.SQL(", ").join(sql.Identifier(k) for k in source.keys)
    return sql.SQL("select {cols} from {rel}{where} order by {order}").format(
        cols=cols, rel=relation, where=where, order=order
    )


def _extract_postgres(contract: FeedContract, stack: Stack, watermark: str | None, tmp: Path) -> _Extracted | None:
    source = contract.source
    assert isinstance(source, PostgresSource)
    out = tmp / "data.csv"
    copy = sql.SQL("copy ({}) to stdout with (format csv, header)").format(_source_query(contract, source, watermark))
    digest, size, rows = hashlib.sha256(), 0, 0
    try:
        with psycopg.connect(stack.dsn(source.database)) as conn, conn.cursor() as cur:
            conn.read_only = True
            with cur.copy(copy) as stream, out.open("wb") as fh:
                for chunk in stream:
                    data = bytes(chunk)
                    digest.update(data)
                    fh.write(data)
                    size += len(data)
            rows = cur.rowcount
            high = None
            if source.incremental and rows:
                inner = _source_query(contract, source, watermark)
                row = conn.execute(
                    sql.SQL("select max({}::text) from ({}) as batch").format(sql.Identifier(source.incremental), inner)
                ).fetchone()
                high = row[0] if row else None
    except psycopg.errors.UndefinedTable as exc:
        raise SilobreakError(
            f"feed {contract.feed}: source {source.table or 'query'} does not exist in database {source.database}",
            hint="generate the demo city (silobreak city generate) or fix source in the contract",
        ) from exc
    except psycopg.errors.UndefinedColumn as exc:
        raise SilobreakError(
            f"feed {contract.feed}: the source lacks a column of the contract: {exc.diag.message_primary}",
            hint="the department's schema changed: update the contract's columns",
        ) from exc
    if source.incremental and rows == 0:
        return None  # nothing changed since the last batch
    name = f"{source.database}.{source.table}" if source.table else f"{source.database}.query"
    return _Extracted(
        out, digest.hexdigest(), size, rows, "csv", "utf-8", ",",
        {"kind": "postgres", "namespace": stack.postgres_namespace, "name": name}, high,
    )  # fmt: skip


# --- files dropped in the inbox -----------------------------------------------------------------


def inbox_objects(contract: FeedContract, s3: Minio) -> list[str]:
    """Object names in the feed's inbox folder matching its pattern, oldest name first."""
    source = contract.source
    assert isinstance(source, FileDropSource)
    prefix = source.prefix if source.prefix.endswith("/") else source.prefix + "/"
    names = [
        obj.object_name
        for obj in s3.list_objects(source.bucket, prefix=prefix, recursive=True)
        if obj.object_name and fnmatch.fnmatch(obj.object_name.rsplit("/", 1)[-1], source.pattern)
    ]
    return sorted(names)


def _extract_files(contract: FeedContract, s3: Minio, tmp: Path) -> Iterator[_Extracted]:
    source = contract.source
    assert isinstance(source, FileDropSource)
    for number, name in enumerate(inbox_objects(contract, s3)):
        path = tmp / f"{number}.{EXTENSIONS[source.format]}"
        stat = s3.fget_object(source.bucket, name, str(path))
        sha, size = _hash_file(path)
        extra = {"original_name": name}
        supersedes = _metadata(stat.metadata, SUPERSEDES_METADATA)
        if supersedes:
            extra["supersedes"] = supersedes
        yield _Extracted(
            path, sha, size, None, source.format, source.encoding, source.delimiter,
            {"kind": "file_drop", "namespace": f"s3://{source.bucket}", "name": name},
            None, extra,
        )  # fmt: skip


def _metadata(headers: Any, name: str) -> str | None:
    """A user metadata value of an object (S3 returns it as an ``x-amz-meta-*`` header)."""
    for key, value in (headers or {}).items():
        if key.lower() == f"x-amz-meta-{name}":
            return str(value)
    return None


# --- HTTP API -----------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _extract_api(contract: FeedContract, stack: Stack, watermark: str | None, tmp: Path) -> _Extracted | None:
    source = contract.source
    assert isinstance(source, HttpApiSource)
    params: dict[str, Any] = {"page": 1, "page_size": source.page_size}
    if source.incremental and watermark is not None:
        params["updated_since"] = watermark
    headers = {"Authorization": f"Bearer {stack.credentials.departments_api_token}"}
    out = tmp / "data.jsonl"
    rows, high = 0, None
    with httpx.Client(base_url=stack.departments_api_url, headers=headers, timeout=60) as client, out.open("wb") as fh:
        url: str | None = source.path
        while url:
            try:
                response = client.get(url, params=params if url == source.path else None)
            except httpx.HTTPError as exc:
                raise SilobreakError(
                    f"feed {contract.feed}: the department's API at {stack.departments_api_url} did not answer: {exc}",
                    hint="is the stack up (silobreak status)?",
                ) from exc
            if response.status_code != 200:
                raise SilobreakError(
                    f"feed {contract.feed}: GET {url} answered {response.status_code}: {response.text[:300]}"
                )
            page = response.json()
            for item in page["items"]:
                fh.write(
                    json.dumps(
                        {k: _json_value(v) for k, v in item.items()}, ensure_ascii=False, sort_keys=True
                    ).encode()
                    + b"\n"
                )
                rows += 1
                if source.incremental and item.get(source.incremental) is not None:
                    value = str(item[source.incremental])
                    high = value if high is None or value > high else high
            url = page.get("next")
    if rows == 0:
        return None
    sha, size = _hash_file(out)
    return _Extracted(
        out, sha, size, rows, "jsonl", "utf-8", ",",
        {"kind": "http_api", "namespace": stack.departments_api_url, "name": source.path}, high,
    )  # fmt: skip


def land(
    contract: FeedContract,
    stack: Stack,
    s3: Minio,
    *,
    watermark: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> list[tuple[Manifest, bool]]:
    """Land what the source holds now; returns each batch's manifest and whether it was new."""
    landed: list[tuple[Manifest, bool]] = []
    with tempfile.TemporaryDirectory(prefix="silobreak-land-") as tmp_dir:
        tmp = Path(tmp_dir)
        source = contract.source
        if isinstance(source, PostgresSource):
            found = [_extract_postgres(contract, stack, watermark, tmp)]
        elif isinstance(source, HttpApiSource):
            found = [_extract_api(contract, stack, watermark, tmp)]
        else:
            found = list(_extract_files(contract, s3, tmp))
        for extracted in found:
            if extracted is not None:
                landed.append(_land(contract, s3, extracted))
                progress(landed[-1][0].batch_id)
    return landed
