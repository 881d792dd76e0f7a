"""The steps of a feed as Airflow runs them: land, validate, load.

Each takes the feed name, works on the real services, records what it did in the batch ledger
(``silobreak.batches``), emits OpenLineage for every batch, and returns a small summary (what goes
to XCom: ids and counts, never data). A run handles every batch that is pending for the feed
(landed but not yet loaded), oldest first, so a failed run is finished by the next one.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from minio import Minio
from openlineage.client.facet_v2 import data_quality_assertions_dataset as dqa
from openlineage.client.facet_v2 import data_quality_metrics_input_dataset as dqm
from openlineage.client.facet_v2 import dataset_version_dataset, output_statistics_output_dataset
from psycopg import Connection
from psycopg.types.json import Jsonb

from silobreak.contracts import FeedContract, get_contract
from silobreak.errors import SilobreakError
from silobreak.lineage import emit
from silobreak.pipeline import chunked_validation, chunks, data_docs, decisions, landing, loading, validation
from silobreak.settings import LANDING_BUCKET, QUARANTINE_BUCKET, Stack, current_stack
from silobreak.stack.s3 import client as s3_client
from silobreak.warehouse import connect, ensure_platform_schema

QUARANTINE_FILE = "rows.jsonl"
VALIDATION_FILE = "validation.json"
Context = dict[str, Any] | None


def _landed(contract: FeedContract, batch_id: str | None = None) -> dict[str, Any]:
    facets: dict[str, Any] = emit.contract_facets(contract)
    if batch_id:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=batch_id)
    return emit.s3_dataset(LANDING_BUCKET, f"{contract.department}/{contract.entity}", facets)


def _quarantine(contract: FeedContract) -> dict[str, Any]:
    return emit.s3_dataset(QUARANTINE_BUCKET, f"{contract.department}/{contract.entity}")


@contextmanager
def _warehouse(stack: Stack) -> Iterator[Connection[Any]]:
    """A warehouse connection, once the platform tables are checked to be this version's (no DDL:
    ``silobreak up`` or ``silobreak migrate`` creates them)."""
    with connect(stack) as conn:
        ensure_platform_schema(conn)
        yield conn


def pending_batches(stack: Stack, feed: str) -> list[str]:
    """Batches landed or validated but not loaded (nor rejected), in landing order."""
    with _warehouse(stack) as conn:
        rows = conn.execute(
            "select batch_id from silobreak.batches where feed = %s and status in ('landed', 'validated') "
            "order by landed_at, batch_id",
            (feed,),
        ).fetchall()
    return [r[0] for r in rows]


def extract(feed: str, context: Context = None, stack: Stack | None = None) -> dict[str, Any]:
    """Land what the department's source holds now; unchanged content lands nothing new."""
    stack = stack or current_stack()
    contract = get_contract(feed)
    s3 = s3_client(stack)
    with _warehouse(stack) as conn:
        row = conn.execute(
            "select max(watermark) from silobreak.batches where feed = %s and status <> 'rejected'", (feed,)
        ).fetchone()
    watermark = row[0] if row else None
    with emit.step(
        stack,
        f"{feed}.extract",
        inputs=[emit.source_dataset(stack, contract)],
        parent=emit.airflow_parent(context),
        description=f"Land {feed} from the department's {contract.source.kind} source",
    ) as run:
        landed = landing.land(contract, stack, s3, watermark=watermark)
        if landed:
            run.outputs = [_landed(contract, landed[-1][0].batch_id)]
            run.output_facets[run.outputs[0]["name"]] = {
                "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=sum(m.row_count or 0 for m, _ in landed),
                    size=sum(m.size for m, _ in landed),
                    fileCount=len(landed),
                )
            }
        with connect(stack) as conn:
            for manifest, _ in landed:
                supersedes, warnings = _superseded_batch(conn, feed, manifest)
                conn.execute(
                    "insert into silobreak.batches (feed, batch_id, sha256, row_count, status, watermark, source_name, "
                    "supersedes, warnings) values (%s, %s, %s, %s, 'landed', %s, %s, %s, %s) "
                    "on conflict (feed, batch_id) do nothing",
                    (
                        feed,
                        manifest.batch_id,
                        manifest.sha256,
                        manifest.row_count or 0,
                        manifest.watermark,
                        manifest.source.get("name"),
                        supersedes,
                        Jsonb(warnings),
                    ),
                )
    # a snapshot feed (re)processes the current snapshot; others every batch not yet loaded
    pending = [m.batch_id for m, _ in landed] if contract.snapshot else pending_batches(stack, feed)
    return {"feed": feed, "batches": pending, "new": [m.batch_id for m, new in landed if new]}


def _superseded_batch(conn: Connection[Any], feed: str, manifest: landing.Manifest) -> tuple[str | None, list[str]]:
    """The batch a corrected file replaces: the department names it (by batch id or by the inbox
    object it corrects) in the object's ``supersedes`` metadata when it drops the file."""
    named = manifest.extra.get("supersedes")
    if not named:
        return None, []
    row = conn.execute(
        "select batch_id from silobreak.batches where feed = %s and (batch_id = %s or source_name = %s) "
        "and batch_id <> %s order by (batch_id = %s) desc, landed_at desc limit 1",
        (feed, named, named, manifest.batch_id, named),
    ).fetchone()
    if row is None:
        return None, [f"supersedes {named!r}: no earlier batch of {feed} has that id or source; nothing replaced"]
    return str(row[0]), []


def _put_lines(s3: Minio, bucket: str, key: str, lines: list[str]) -> None:
    data = ("\n".join(lines) + ("\n" if lines else "")).encode()
    s3.put_object(bucket, key, io.BytesIO(data), len(data), content_type="application/json")


@dataclass
class _Profile:
    """Per-column counts gathered while the batch streams by (for the dataQualityMetrics facet)."""

    nulls: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)


def _held_records(
    s3: Minio, manifest: landing.Manifest, rows: dict[int, list[str]]
) -> tuple[dict[int, dict[str, Any]], _Profile]:
    """Second pass over the batch: the records of the held rows (known only once every chunk was
    validated, since duplicates span chunks), and each column's null and value counts."""
    records: dict[int, dict[str, Any]] = {}
    profile = _Profile()
    wanted = np.fromiter(rows, dtype=np.int64, count=len(rows))
    with landing.open_batch(s3, manifest) as stream:
        for frame in chunks.iter_frames(manifest, stream):
            profile.nulls.update({str(c): int(n) for c, n in frame.isna().sum().items()})
            profile.present.update({str(c): int(n) for c, n in frame.notna().sum().items()})
            for position in frame.index[np.isin(frame.index.to_numpy(), wanted)]:
                records[int(position)] = frame.loc[position].to_dict()
    return records, profile


def validate_batch(feed: str, batch_id: str, context: Context = None, stack: Stack | None = None) -> dict[str, Any]:
    """Check one batch with its suite; write each invalid row with its reasons to quarantine."""
    stack = stack or current_stack()
    contract = get_contract(feed)
    s3 = s3_client(stack)
    prefix = landing.batch_prefix(contract, batch_id)
    landed = _landed(contract, batch_id)
    with emit.step(
        stack,
        f"{feed}.validate",
        inputs=[landed],
        parent=emit.airflow_parent(context),
        description=f"Validate {feed} with the expectation suite {contract.suite}",
    ) as run:
        manifest = landing.read_manifest(s3, contract, batch_id)
        with landing.open_batch(s3, manifest) as stream:
            outcome = chunked_validation.validate_chunks(contract, batch_id, chunks.iter_frames(manifest, stream))
        records, profile = _held_records(s3, manifest, outcome.reasons_by_row)
        rows = [
            json.dumps({"row": n, "record": records[n], "reasons": reasons}, ensure_ascii=False)
            for n, reasons in outcome.reasons_by_row.items()
        ]
        _put_lines(s3, QUARANTINE_BUCKET, f"{prefix}/{QUARANTINE_FILE}", rows)
        _put_lines(
            s3,
            QUARANTINE_BUCKET,
            f"{prefix}/{VALIDATION_FILE}",
            [json.dumps(outcome.results, ensure_ascii=False, default=str)],
        )
        with _warehouse(stack) as conn:
            outcome.volume = validation.volume_finding(
                outcome.row_count, _recent_volumes(conn, feed, batch_id), contract.quality.volume
            )
            gate = outcome.gate_failures(contract)
            run.outputs = [_quarantine(contract), emit.warehouse_dataset(stack, "silobreak", "quarantined_rows")]
            run.input_facets[landed["name"]] = _quality_facets(outcome, profile)
            _record_outcome(conn, contract, outcome, records, gate)
        data_docs.publish(stack, contract, batch_id, outcome.results, outcome.statistics)
        if gate:
            raise SilobreakError(
                f"department {contract.department}: batch {batch_id} of feed {feed} was rejected: " + "; ".join(gate),
                hint=f"its rows and reasons are in s3://{QUARANTINE_BUCKET}/{prefix}/ and silobreak.quarantine; "
                + _resubmit_hint(contract, batch_id),
            )
    return {
        "batch_id": batch_id,
        "rows": outcome.row_count,
        "valid": outcome.valid_count,
        "quarantined": outcome.invalid_count,
    }


def _resubmit_hint(contract: FeedContract, batch_id: str) -> str:
    if contract.source.kind == "file_drop":
        return (
            f"the department sends a corrected file with `silobreak inbox drop FILE {contract.source.prefix} "
            f"--supersedes {batch_id}`"
        )
    return "the department corrects its source; the next extraction supersedes this batch"


def _recent_volumes(conn: Connection[Any], feed: str, batch_id: str) -> list[int]:
    rows = conn.execute(
        "select row_count from silobreak.batches where feed = %s and status = 'loaded' and batch_id <> %s "
        "order by landed_at desc limit 100",
        (feed, batch_id),
    ).fetchall()
    return [int(r[0]) for r in rows]


def _record_outcome(
    conn: Connection[Any],
    contract: FeedContract,
    outcome: validation.Outcome,
    records: dict[int, dict[str, Any]],
    gate: list[str],
) -> None:
    """Ledger, results and held rows of one validation, replaced as a whole in one transaction."""
    key = (contract.feed, outcome.batch_id)
    with conn.transaction():
        conn.execute(
            "update silobreak.batches set row_count = %s, valid_count = %s, quarantined_count = %s, "
            "status = %s, reasons = %s, warnings = %s, validated_at = now() where feed = %s and batch_id = %s",
            (
                outcome.row_count,
                outcome.valid_count,
                outcome.invalid_count,
                "rejected" if gate else "validated",
                Jsonb(gate),
                Jsonb(outcome.warning_messages(contract)),
                *key,
            ),
        )
        conn.execute("delete from silobreak.validation_results where feed = %s and batch_id = %s", key)
        conn.execute("delete from silobreak.quarantined_rows where feed = %s and batch_id = %s", key)
        with conn.cursor() as cur:
            cur.executemany(
                "insert into silobreak.validation_results (feed, batch_id, check_name, expectation_type, "
                "column_name, severity, success, element_count, unexpected_count, observed_value) values "
                "(%(feed)s, %(batch)s, %(check_name)s, %(expectation_type)s, %(column_name)s, %(severity)s, "
                "%(success)s, %(element_count)s, %(unexpected_count)s, %(observed_value)s)",
                [
                    {**r, "feed": key[0], "batch": key[1], "observed_value": Jsonb(r["observed_value"])}
                    for r in outcome.result_rows()
                ],
            )
            cur.executemany(
                "insert into silobreak.quarantined_rows (feed, batch_id, row_number, record, reasons) "
                "values (%s, %s, %s, %s, %s)",
                [(*key, n, Jsonb(records[n]), reasons) for n, reasons in outcome.reasons_by_row.items()],
            )


def _quality_facets(outcome: validation.Outcome, profile: _Profile) -> dict[str, Any]:
    assertions = []
    for item in outcome.results:
        config = item["expectation_config"]
        assertions.append(
            dqa.Assertion(
                assertion=(config.get("meta") or {}).get("check") or config["type"],
                success=bool(item["success"]),
                column=config["kwargs"].get("column"),
                severity="warning" if config.get("severity") == "warning" else "error",
                name=config["type"],
            )
        )
    metrics = {
        column: dqm.ColumnMetrics(nullCount=profile.nulls[column], count=float(profile.present[column]))
        for column in profile.present
    }
    return {
        "dataQualityAssertions": dqa.DataQualityAssertionsDatasetFacet(assertions=assertions),
        "dataQualityMetrics": dqm.DataQualityMetricsInputDatasetFacet(
            columnMetrics=metrics, rowCount=outcome.row_count
        ),
    }


def load_batch(feed: str, batch_id: str, context: Context = None, stack: Stack | None = None) -> dict[str, Any]:
    """Load one validated batch: valid rows to raw, invalid rows to the quarantine table, in one transaction."""
    stack = stack or current_stack()
    contract = get_contract(feed)
    s3 = s3_client(stack)
    prefix = landing.batch_prefix(contract, batch_id)
    landed = _landed(contract, batch_id)
    with emit.step(
        stack,
        f"{feed}.load",
        inputs=[landed, _quarantine(contract)],
        parent=emit.airflow_parent(context),
        description=f"Load {feed} into {contract.raw_schema}.{contract.raw_table}",
    ) as run:
        quarantined = {
            json.loads(line)["row"]
            for line in landing.get_bytes(s3, QUARANTINE_BUCKET, f"{prefix}/{QUARANTINE_FILE}").decode().splitlines()
        }
        with _warehouse(stack) as conn:
            status = conn.execute(
                "select status from silobreak.batches where feed = %s and batch_id = %s", (feed, batch_id)
            ).fetchone()
            if status is None or status[0] not in ("validated", "loaded"):
                raise SilobreakError(
                    f"batch {batch_id} of feed {feed} is {status[0] if status else 'unknown'}, not validated",
                    hint="run the validate step first; a rejected or superseded batch is never loaded",
                )
            released = decisions.released_rows(conn, feed, batch_id)
            manifest = landing.read_manifest(s3, contract, batch_id)
            with conn.transaction(), landing.open_batch(s3, manifest) as stream:
                frames = chunks.iter_frames(manifest, stream)
                loaded = loading.load_batch(conn, contract, batch_id, frames, quarantined - released)
                superseded = decisions.supersede(conn, contract, batch_id)
            held = len(quarantined - released)
        raw = emit.warehouse_dataset(stack, contract.raw_schema, contract.raw_table, emit.contract_facets(contract))
        run.outputs = [raw]
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet
        run.output_facets = {raw["name"]: {"outputStatistics": stats(rowCount=loaded)}}
    return {"batch_id": batch_id, "loaded": loaded, "quarantined": held, "superseded": superseded}


def validate(
    feed: str, batch_ids: list[str], context: Context = None, stack: Stack | None = None
) -> list[dict[str, Any]]:
    """Validate the batches in order; a rejected batch stops the feed (later batches wait)."""
    return [validate_batch(feed, b, context, stack) for b in batch_ids]


def load(feed: str, batch_ids: list[str], context: Context = None, stack: Stack | None = None) -> list[dict[str, Any]]:
    return [load_batch(feed, b, context, stack) for b in batch_ids]
