"""Extract a department's records into the landing bucket as an immutable batch with a manifest.

A batch is addressed by the sha256 of its content, so extracting unchanged source data finds the
batch already landed and writes nothing. Objects are written once and never overwritten: the
landing bucket is the record of what the department sent.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from minio import Minio
from minio.error import S3Error
from psycopg import sql

from silobreak.contracts import FeedContract
from silobreak.errors import SilobreakError
from silobreak.settings import LANDING_BUCKET, Stack

DATA_FILE = "data.csv"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What was landed: enough to check the batch and to trace it back to its source."""

    feed: str
    department: str
    batch_id: str
    sha256: str
    size: int
    row_count: int
    format: str
    encoding: str
    source: dict[str, str]
    schema: list[dict[str, str]]
    extracted_at: str
    data_key: str

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        return cls(**json.loads(raw))


def batch_prefix(contract: FeedContract, batch_id: str) -> str:
    return f"{contract.department}/{contract.entity}/batch={batch_id}"


def _exists(s3: Minio, bucket: str, key: str) -> bool:
    try:
        s3.stat_object(bucket, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
            return False
        raise
    return True


def put_once(s3: Minio, bucket: str, key: str, data: bytes, content_type: str) -> bool:
    """Write an object unless it exists; True if written. Landed objects are never replaced."""
    if _exists(s3, bucket, key):
        return False
    s3.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type)
    return True


def _dump_source(contract: FeedContract, stack: Stack, out: Path) -> tuple[int, str, int]:
    """COPY the source table, in key order, to a CSV file; returns rows, sha256 and size."""
    schema, table = contract.source.table.split(".")
    query = sql.SQL(
        "copy (select {cols} from {schema}.{table} order by {key}) to stdout with (format csv, header)"
    ).format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in contract.column_names),
        schema=sql.Identifier(schema),
        table=sql.Identifier(table),
        key=sql.Identifier(contract.source.key),
    )
    digest = hashlib.sha256()
    size = 0
    try:
        with psycopg.connect(stack.dsn(contract.source.database)) as conn, conn.cursor() as cur:
            with cur.copy(query) as copy, out.open("wb") as fh:
                for chunk in copy:
                    data = bytes(chunk)
                    digest.update(data)
                    fh.write(data)
                    size += len(data)
            rows = cur.rowcount  # from the server's "COPY n"
    except psycopg.errors.UndefinedTable as exc:
        raise SilobreakError(
            f"feed {contract.feed}: source table {contract.source.table} does not exist in database "
            f"{contract.source.database}",
            hint="generate the demo city (silobreak city generate) or fix source.table in the contract",
        ) from exc
    except psycopg.errors.UndefinedColumn as exc:
        raise SilobreakError(
            f"feed {contract.feed}: the source lacks a column of the contract: {exc.diag.message_primary}",
            hint="the department's schema changed: update the contract's columns",
        ) from exc
    return rows, digest.hexdigest(), size


def land(contract: FeedContract, stack: Stack, s3: Minio) -> tuple[Manifest, bool]:
    """Extract and land one batch; returns its manifest and whether it was new."""
    with tempfile.TemporaryDirectory(prefix="silobreak-land-") as tmp:
        out = Path(tmp) / DATA_FILE
        rows, sha, size = _dump_source(contract, stack, out)
        batch_id = sha[:16]
        prefix = batch_prefix(contract, batch_id)
        manifest_key = f"{prefix}/{MANIFEST_FILE}"
        if _exists(s3, LANDING_BUCKET, manifest_key):
            return read_manifest(s3, manifest_key), False
        data_key = f"{prefix}/{DATA_FILE}"
        if not _exists(s3, LANDING_BUCKET, data_key):
            s3.fput_object(LANDING_BUCKET, data_key, str(out), content_type="text/csv; charset=utf-8")
    manifest = Manifest(
        feed=contract.feed,
        department=contract.department,
        batch_id=batch_id,
        sha256=sha,
        size=size,
        row_count=rows,
        format="csv",
        encoding="utf-8",
        source={
            "kind": contract.source.kind,
            "namespace": stack.postgres_namespace,
            "name": f"{contract.source.database}.{contract.source.table}",
        },
        schema=[{"name": c.name, "type": c.type} for c in contract.columns],
        extracted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        data_key=data_key,
    )
    # the manifest goes last: its presence is what marks a batch as completely landed
    put_once(s3, LANDING_BUCKET, manifest_key, manifest.to_json(), "application/json")
    return manifest, True


def read_manifest(s3: Minio, key: str) -> Manifest:
    response = s3.get_object(LANDING_BUCKET, key)
    try:
        return Manifest.from_json(response.read())
    finally:
        response.close()
        response.release_conn()


def read_batch(s3: Minio, manifest: Manifest) -> bytes:
    """The landed bytes, checked against the manifest's sha256 so a damaged object is never used."""
    response = s3.get_object(LANDING_BUCKET, manifest.data_key)
    try:
        data: bytes = response.read()
    finally:
        response.close()
        response.release_conn()
    if hashlib.sha256(data).hexdigest() != manifest.sha256:
        raise SilobreakError(
            f"landed object {LANDING_BUCKET}/{manifest.data_key} does not match its manifest's sha256",
            hint="the landing bucket was changed outside silobreak; restore the object from backup",
        )
    return data
