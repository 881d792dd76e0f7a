"""The steps of a feed's batch as Airflow runs them: each takes the feed name, does its work on the
real services, records it in the batch ledger, emits OpenLineage, and returns a small summary
(what goes to XCom: ids and counts, never data)."""

from __future__ import annotations

import json
from typing import Any

from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset as dqa,
)
from openlineage.client.facet_v2 import (
    data_quality_metrics_input_dataset as dqm,
)
from openlineage.client.facet_v2 import (
    dataset_version_dataset,
    output_statistics_output_dataset,
)
from psycopg.types.json import Jsonb

from silobreak.contracts import FeedContract, get_contract
from silobreak.errors import SilobreakError
from silobreak.lineage import emit
from silobreak.pipeline import landing, loading, validation
from silobreak.settings import LANDING_BUCKET, QUARANTINE_BUCKET, Stack, current_stack
from silobreak.stack.s3 import client as s3_client
from silobreak.warehouse import connect, ensure_platform_schema

QUARANTINE_FILE = "rows.jsonl"
VALIDATION_FILE = "validation.json"


def _landed(contract: FeedContract, batch_id: str | None = None) -> dict[str, Any]:
    facets: dict[str, Any] = emit.contract_facets(contract)
    if batch_id:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=batch_id)
    return emit.s3_dataset(LANDING_BUCKET, f"{contract.department}/{contract.entity}", facets)


def _quarantine(contract: FeedContract) -> dict[str, Any]:
    return emit.s3_dataset(QUARANTINE_BUCKET, f"{contract.department}/{contract.entity}")


def extract(feed: str, context: dict[str, Any] | None = None, stack: Stack | None = None) -> dict[str, Any]:
    """Land the department's current records; unchanged content lands nothing new."""
    stack = stack or current_stack()
    contract = get_contract(feed)
    s3 = s3_client(stack)
    with emit.step(
        stack,
        f"{feed}.extract",
        inputs=[emit.source_dataset(stack, contract)],
        parent=emit.airflow_parent(context),
        description=f"Extract {feed} from the department's system into the landing bucket",
    ) as run:
        manifest, new = landing.land(contract, stack, s3)
        run.outputs = [_landed(contract, manifest.batch_id)]
        run.output_facets[run.outputs[0]["name"]] = {
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=manifest.row_count, size=manifest.size, fileCount=1
            )
        }
        with connect(stack) as conn:
            ensure_platform_schema(conn)
            conn.execute(
                "insert into silobreak.batches (feed, batch_id, sha256, row_count, status) "
                "values (%s, %s, %s, %s, 'landed') on conflict (feed, batch_id) do nothing",
                (feed, manifest.batch_id, manifest.sha256, manifest.row_count),
            )
    return {"feed": feed, "batch_id": manifest.batch_id, "rows": manifest.row_count, "new": new}


def _put_json(stack: Stack, bucket: str, key: str, lines: list[str]) -> None:
    import io

    data = ("\n".join(lines) + ("\n" if lines else "")).encode()
    s3_client(stack).put_object(bucket, key, io.BytesIO(data), len(data), content_type="application/json")


def validate(
    feed: str, batch_id: str, context: dict[str, Any] | None = None, stack: Stack | None = None
) -> dict[str, Any]:
    """Check the batch with its suite; write each invalid row with its reasons to quarantine."""
    stack = stack or current_stack()
    contract = get_contract(feed)
    s3 = s3_client(stack)
    prefix = landing.batch_prefix(contract, batch_id)
    manifest = landing.read_manifest(s3, f"{prefix}/{landing.MANIFEST_FILE}")
    landed = _landed(contract, batch_id)
    with emit.step(
        stack,
        f"{feed}.validate",
        inputs=[landed],
        parent=emit.airflow_parent(context),
        description=f"Validate {feed} with the expectation suite {contract.suite}",
    ) as run:
        frame = validation.read_frame(landing.read_batch(s3, manifest))
        outcome = validation.validate(contract, batch_id, frame)
        records = frame.astype(object).where(frame.notna(), None)
        rows = [
            json.dumps({"row": n, "record": records.iloc[n].to_dict(), "reasons": reasons}, ensure_ascii=False)
            for n, reasons in outcome.reasons_by_row.items()
        ]
        _put_json(stack, QUARANTINE_BUCKET, f"{prefix}/{QUARANTINE_FILE}", rows)
        _put_json(
            stack,
            QUARANTINE_BUCKET,
            f"{prefix}/{VALIDATION_FILE}",
            [json.dumps(outcome.results, ensure_ascii=False, default=str)],
        )
        gate = outcome.gate_failures(contract)
        run.outputs = [_quarantine(contract)]
        run.input_facets[landed["name"]] = _quality_facets(outcome, frame)
        with connect(stack) as conn:
            conn.execute(
                "update silobreak.batches set valid_count = %s, quarantined_count = %s, status = %s, "
                "reasons = %s, validated_at = now() where feed = %s and batch_id = %s",
                (
                    outcome.valid_count,
                    outcome.invalid_count,
                    "rejected" if gate else "validated",
                    Jsonb(gate),
                    feed,
                    batch_id,
                ),
            )
        if gate:
            raise SilobreakError(
                f"department {contract.department}: batch {batch_id} of feed {feed} was rejected: " + "; ".join(gate),
                hint=f"its rows and reasons are in s3://{QUARANTINE_BUCKET}/{prefix}/; the department must resubmit",
            )
    return {
        "feed": feed,
        "batch_id": batch_id,
        "rows": outcome.row_count,
        "valid": outcome.valid_count,
        "quarantined": outcome.invalid_count,
    }


def _quality_facets(outcome: validation.Outcome, frame: Any) -> dict[str, Any]:
    assertions = []
    for item in outcome.results:
        config = item["expectation_config"]
        assertions.append(
            dqa.Assertion(
                assertion=(config.get("meta") or {}).get("check") or config["type"],
                success=bool(item["success"]),
                column=config["kwargs"].get("column"),
                severity="error",
                name=config["type"],
            )
        )
    metrics = {
        column: dqm.ColumnMetrics(nullCount=int(frame[column].isna().sum()), count=float(frame[column].notna().sum()))
        for column in frame.columns
    }
    return {
        "dataQualityAssertions": dqa.DataQualityAssertionsDatasetFacet(assertions=assertions),
        "dataQualityMetrics": dqm.DataQualityMetricsInputDatasetFacet(
            columnMetrics=metrics, rowCount=outcome.row_count
        ),
    }


def load(feed: str, batch_id: str, context: dict[str, Any] | None = None, stack: Stack | None = None) -> dict[str, Any]:
    """Load valid rows to raw and invalid rows to the quarantine table, in one transaction."""
    stack = stack or current_stack()
    contract = get_contract(feed)
    s3 = s3_client(stack)
    prefix = landing.batch_prefix(contract, batch_id)
    manifest = landing.read_manifest(s3, f"{prefix}/{landing.MANIFEST_FILE}")
    landed = _landed(contract, batch_id)
    with emit.step(
        stack,
        f"{feed}.load",
        inputs=[landed, _quarantine(contract)],
        parent=emit.airflow_parent(context),
        description=f"Load {feed} into {contract.raw_schema}.{contract.raw_table}",
    ) as run:
        response = s3.get_object(QUARANTINE_BUCKET, f"{prefix}/{QUARANTINE_FILE}")
        try:
            quarantined = {
                item["row"]: (item["record"], item["reasons"])
                for item in map(json.loads, response.read().decode().splitlines())
            }
        finally:
            response.close()
            response.release_conn()
        with connect(stack) as conn:
            status = conn.execute(
                "select status from silobreak.batches where feed = %s and batch_id = %s", (feed, batch_id)
            ).fetchone()
            if status is None or status[0] not in ("validated", "loaded"):
                raise SilobreakError(
                    f"batch {batch_id} of feed {feed} is {status[0] if status else 'unknown'}, not validated",
                    hint="run the validate step first; a rejected batch is never loaded",
                )
            loaded, held = loading.load_batch(conn, contract, batch_id, landing.read_batch(s3, manifest), quarantined)
        raw = emit.warehouse_dataset(stack, contract.raw_schema, contract.raw_table, emit.contract_facets(contract))
        held_table = emit.warehouse_dataset(stack, "silobreak", "quarantined_rows")
        run.outputs = [raw, held_table]
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet
        run.output_facets = {
            raw["name"]: {"outputStatistics": stats(rowCount=loaded)},
            held_table["name"]: {"outputStatistics": stats(rowCount=held)},
        }
    return {"feed": feed, "batch_id": batch_id, "loaded": loaded, "quarantined": held}
