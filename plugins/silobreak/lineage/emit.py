"""Emit OpenLineage events for silobreak's own steps (extract, validate, load).

Names follow the OpenLineage naming spec: Postgres datasets live in the namespace
``postgres://host:port`` and are named ``database.schema.table``; objects live in ``s3://bucket``
and are named by their key prefix (one dataset per feed; each batch is a version of it). When a
step runs inside Airflow, its run carries a parent facet pointing at the Airflow task run, with the
DAG run as root, so governance sees a DAG run's steps together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    JobFacet,
    RunFacet,
    datasource_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    ownership_dataset,
    parent_run,
    schema_dataset,
    tags_dataset,
)
from openlineage.client.uuid import generate_new_uuid

from silobreak.contracts import FeedContract, FileDropSource, PostgresSource
from silobreak.settings import WAREHOUSE_DB, Stack

NAMESPACE = "silobreak"
"""Job namespace of silobreak's own steps and dbt models; Airflow's DAG and task runs, their
parents, are in the namespace "airflow" (so ``<feed>.extract`` names one job in each)."""
PRODUCER = "https://github.com/silobreak/silobreak"

log = logging.getLogger(__name__)


def client(stack: Stack) -> OpenLineageClient:
    """An OpenLineage client sending to the stack's lineage service over HTTP."""
    return OpenLineageClient(
        config={
            "transport": {
                "type": "http",
                "url": stack.lineage_url,
                "endpoint": "api/v1/lineage",
                "auth": {"type": "api_key", "apiKey": stack.credentials.lineage_token},
                "retry": {"total": 3, "backoff_factor": 0.3},
            }
        }
    )


def contract_facets(contract: FeedContract, columns: Sequence[str] | None = None) -> dict[str, Any]:
    """Schema, owner department and per-column sensitivity tags, from the feed contract."""
    wanted = [c for c in contract.columns if columns is None or c.name in columns]
    return {
        "schema": schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(name=c.name, type=c.type, description=c.description)
                for c in wanted
            ]
        ),
        "ownership": ownership_dataset.OwnershipDatasetFacet(
            owners=[ownership_dataset.Owner(name=f"department:{contract.department}", type="PRODUCER")]
        ),
        "tags": tags_dataset.TagsDatasetFacet(
            tags=[tags_dataset.TagsDatasetFacetFields(key="department", value=contract.department, source="CONTRACT")]
            + [
                tags_dataset.TagsDatasetFacetFields(
                    key="sensitivity", value=c.sensitivity, source="CONTRACT", field=c.name
                )
                for c in wanted
            ]
        ),
    }


def postgres_name(database: str, schema: str, table: str) -> str:
    return f"{database}.{schema}.{table}"


def source_dataset(stack: Stack, contract: FeedContract) -> dict[str, Any]:
    """The department's own system: its table, its inbox folder, or its API path."""
    source = contract.source
    if isinstance(source, PostgresSource):
        ns = stack.postgres_namespace
        name = (
            postgres_name(source.database, *source.table.split("."))
            if source.table
            else f"{source.database}.{contract.feed}_query"
        )
    elif isinstance(source, FileDropSource):
        ns, name = f"s3://{source.bucket}", source.prefix.rstrip("/")
    else:
        ns, name = stack.departments_api_url, source.path
    return {
        "namespace": ns,
        "name": name,
        "facets": {
            **contract_facets(contract),
            "dataSource": datasource_dataset.DatasourceDatasetFacet(name=ns, uri=ns),
        },
    }


def s3_dataset(bucket: str, prefix: str, facets: dict[str, Any] | None = None) -> dict[str, Any]:
    ns = f"s3://{bucket}"
    return {
        "namespace": ns,
        "name": prefix,
        "facets": {"dataSource": datasource_dataset.DatasourceDatasetFacet(name=ns, uri=ns), **(facets or {})},
    }


def warehouse_dataset(stack: Stack, schema: str, table: str, facets: dict[str, Any] | None = None) -> dict[str, Any]:
    ns = stack.postgres_namespace
    return {
        "namespace": ns,
        "name": postgres_name(WAREHOUSE_DB, schema, table),
        "facets": {"dataSource": datasource_dataset.DatasourceDatasetFacet(name=ns, uri=ns), **(facets or {})},
    }


@dataclass
class StepRun:
    """A step's run while it works: it adds outputs (and input facets) as it learns them."""

    job: str
    run_id: str
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]] = field(default_factory=list)
    input_facets: dict[str, dict[str, Any]] = field(default_factory=dict)
    output_facets: dict[str, dict[str, Any]] = field(default_factory=dict)


def _inputs(step: StepRun) -> list[InputDataset]:
    return [
        InputDataset(
            d["namespace"], d["name"], facets=d.get("facets") or {}, inputFacets=step.input_facets.get(d["name"], {})
        )
        for d in step.inputs
    ]


def _outputs(step: StepRun) -> list[OutputDataset]:
    return [
        OutputDataset(
            d["namespace"], d["name"], facets=d.get("facets") or {}, outputFacets=step.output_facets.get(d["name"], {})
        )
        for d in step.outputs
    ]


@contextmanager
def step(
    stack: Stack,
    job: str,
    *,
    inputs: Sequence[dict[str, Any]],
    parent: parent_run.ParentRunFacet | None = None,
    description: str | None = None,
) -> Iterator[StepRun]:
    """Emit START now, then COMPLETE (with the outputs the body added) or FAIL with the error."""
    ol = client(stack)
    run = StepRun(job=job, run_id=str(generate_new_uuid()), inputs=list(inputs))
    run_facets: dict[str, RunFacet] = {"parent": parent} if parent else {}
    job_facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="SILOBREAK", jobType="TASK")
    }
    if description:
        job_facets["documentation"] = documentation_job.DocumentationJobFacet(description=description)

    def event(state: RunState, facets: dict[str, RunFacet]) -> RunEvent:
        return RunEvent(
            eventType=state,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=run.run_id, facets=facets),
            job=Job(namespace=NAMESPACE, name=job, facets=job_facets),
            inputs=_inputs(run),
            outputs=_outputs(run),
            producer=PRODUCER,
        )

    ol.emit(event(RunState.START, run_facets))
    try:
        yield run
    except BaseException as exc:
        error = error_message_run.ErrorMessageRunFacet(message=str(exc), programmingLanguage="python")
        ol.emit(event(RunState.FAIL, {**run_facets, "errorMessage": error}))
        raise
    ol.emit(event(RunState.COMPLETE, run_facets))


def airflow_parent(context: dict[str, Any] | None) -> parent_run.ParentRunFacet | None:
    """Parent facet for a step run inside an Airflow task: the task run, with the DAG run as root."""
    if not context or "ti" not in context:
        return None
    from airflow.providers.openlineage.plugins import macros

    ti = context["ti"]
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=macros.lineage_run_id(ti)),
        job=parent_run.Job(
            namespace=macros.lineage_job_namespace(),  # type: ignore[no-untyped-call]
            name=macros.lineage_job_name(ti),
        ),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=macros.lineage_root_run_id(ti)),
            job=parent_run.RootJob(
                namespace=macros.lineage_root_job_namespace(ti), name=macros.lineage_root_job_name(ti)
            ),
        ),
    )
