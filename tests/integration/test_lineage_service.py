"""The built-in lineage service: token required, bad events refused with the field named, good ones stored whole."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from silobreak.settings import LINEAGE_DB, Stack


def _event(**changes: Any) -> dict[str, Any]:
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-26T10:00:00+00:00",
        "producer": "https://example.org/test",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "tests", "name": "lineage-service"},
        "inputs": [],
        "outputs": [],
    }
    event.update(changes)
    return event


@pytest.fixture
def api(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.lineage_url, headers={"Authorization": f"Bearer {stack.credentials.lineage_token}"}, timeout=10
    )


def _count(stack: Stack, run_id: str) -> int:
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        row = conn.execute("select count(*) from lineage_events where run_id = %s", (run_id,)).fetchone()
    return int(row[0]) if row else 0


def test_a_valid_event_is_stored_whole(stack: Stack, api: httpx.Client) -> None:
    event = _event()
    response = api.post("/api/v1/lineage", json=event)
    assert response.status_code == 201, response.text
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        row = conn.execute("select event from lineage_events where id = %s", (response.json()["id"],)).fetchone()
    assert row is not None and row[0] == event


def test_no_token_no_entry(stack: Stack) -> None:
    event = _event()
    response = httpx.post(f"{stack.lineage_url}/api/v1/lineage", json=event, timeout=10)
    assert response.status_code == 401
    assert _count(stack, event["run"]["runId"]) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"run": {"runId": "not-a-uuid"}}, "run.runId"),
        ({"job": {"namespace": "tests"}}, "job.name"),
        ({"eventTime": "yesterday"}, "eventTime"),
        ({"eventType": "DONE"}, "eventType"),
    ],
)
def test_an_invalid_event_gets_a_400_naming_the_field(
    stack: Stack, api: httpx.Client, change: dict[str, Any], field: str
) -> None:
    event = _event(**change)
    response = api.post("/api/v1/lineage", json=event)
    assert response.status_code == 400
    assert any(f.startswith(field) for f in response.json()["detail"]["fields"]), response.text


def test_a_body_that_is_not_json_gets_a_400(api: httpx.Client) -> None:
    response = api.post("/api/v1/lineage", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


# --- the read API, fed by the real openlineage-python HTTP transport ---------------------------------


def _send(stack: Stack, job: str, inputs: list[Any], outputs: list[Any], parent: Any = None) -> str:
    """One COMPLETE run sent the way every producer sends: openlineage-python's HttpTransport."""
    from datetime import UTC, datetime

    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.uuid import generate_new_uuid

    from silobreak.lineage.emit import PRODUCER, client

    ol: OpenLineageClient = client(stack)
    run_id = str(generate_new_uuid())
    ol.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=run_id, facets={"parent": parent} if parent else {}),
            job=Job(namespace=NS, name=job),
            inputs=inputs,
            outputs=outputs,
            producer=PRODUCER,
        )
    )
    return run_id


NS = f"tests-{uuid.uuid4().hex[:8]}"
DS_NS = "postgres://tests:5432"


def _dataset(name: str, columns: list[str], *, output: bool, lineage: dict[str, Any] | None = None) -> Any:
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset, tags_dataset

    facets: dict[str, Any] = {
        "schema": schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=c, type="text") for c in columns]
        ),
        "tags": tags_dataset.TagsDatasetFacet(
            tags=[tags_dataset.TagsDatasetFacetFields(key="sensitivity", value="L4", field=columns[0])]
        ),
    }
    if lineage:
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
            fields={
                out: column_lineage_dataset.Fields(
                    inputFields=[
                        column_lineage_dataset.InputField(
                            namespace=DS_NS,
                            name=src,
                            field=col,
                            transformations=[
                                column_lineage_dataset.Transformation(type="DIRECT", subtype=sub, masking=masked)
                            ],
                        )
                    ]
                )
                for out, (src, col, sub, masked) in lineage.items()
            }
        )
    kind = OutputDataset if output else InputDataset
    return kind(DS_NS, name, facets=facets)


@pytest.fixture(scope="module")
def chain(stack: Stack) -> dict[str, str]:
    """raw -> (copy job) -> staged -> (mask job) -> shared, with column lineage and a parent run."""
    from openlineage.client.facet_v2 import parent_run

    raw, staged, shared = (f"db.{layer}.people_{NS[-8:]}" for layer in ("raw", "staging", "shared"))
    dag_run = _send(stack, "dag", [], [])
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=dag_run), job=parent_run.Job(namespace=NS, name="dag"))
    copy_run = _send(
        stack,
        "dag.copy",
        [_dataset(raw, ["id_no", "name"], output=False)],
        [_dataset(staged, ["id_no", "name"], output=True,
                  lineage={"id_no": (raw, "id_no", "IDENTITY", False), "name": (raw, "name", "IDENTITY", False)})],
        parent,
    )  # fmt: skip
    _send(
        stack,
        "dag.mask",
        [_dataset(staged, ["id_no", "name"], output=False)],
        [
            _dataset(
                shared, ["person_key"], output=True, lineage={"person_key": (staged, "id_no", "TRANSFORMATION", True)}
            )
        ],
        parent,
    )
    return {"raw": raw, "staged": staged, "shared": shared, "dag_run": dag_run, "copy_run": copy_run}


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def test_reads_need_the_token(stack: Stack, chain: dict[str, str]) -> None:
    for path in (
        "/api/v1/namespaces",
        f"/api/v1/lineage?nodeId=dataset:{DS_NS}:{chain['shared']}",
        "/api/v1/search?q=people",
    ):
        assert httpx.get(f"{stack.lineage_url}{path}", timeout=10).status_code == 401, path


def test_namespaces_datasets_and_fields_with_tags(api: httpx.Client, chain: dict[str, str]) -> None:
    names = {n["name"] for n in api.get("/api/v1/namespaces").json()["namespaces"]}
    assert {NS, DS_NS} <= names
    listed = api.get(f"/api/v1/namespaces/{_q(DS_NS)}/datasets").json()
    assert {chain["raw"], chain["staged"], chain["shared"]} <= {d["name"] for d in listed["datasets"]}
    staged = api.get(f"/api/v1/namespaces/{_q(DS_NS)}/datasets/{_q(chain['staged'])}").json()
    assert [f["name"] for f in staged["fields"]] == ["id_no", "name"]
    assert staged["fields"][0]["tags"] == ["sensitivity:L4"] and staged["fields"][1]["tags"] == []
    assert api.get(f"/api/v1/namespaces/{_q(DS_NS)}/datasets/nothing.here").status_code == 404


def test_a_version_is_made_only_when_the_schema_changes(stack: Stack, api: httpx.Client) -> None:
    name = f"db.versions.{uuid.uuid4().hex[:6]}"
    path = f"/api/v1/namespaces/{_q(DS_NS)}/datasets/{_q(name)}/versions"
    for _ in range(3):  # three runs, same schema: one version
        _send(stack, "versions", [], [_dataset(name, ["a", "b"], output=True)])
    assert api.get(path).json()["totalCount"] == 1
    _send(stack, "versions", [], [_dataset(name, ["a", "b", "c"], output=True)])
    versions = api.get(path).json()
    assert versions["totalCount"] == 2
    assert [f["name"] for f in versions["versions"][0]["fields"]] == ["a", "b", "c"]
    current = api.get(f"/api/v1/namespaces/{_q(DS_NS)}/datasets/{_q(name)}").json()
    assert current["currentVersion"] == versions["versions"][0]["version"]


def test_jobs_and_runs_group_under_their_parent(api: httpx.Client, chain: dict[str, str]) -> None:
    job = api.get(f"/api/v1/namespaces/{NS}/jobs/dag.copy").json()
    assert job["inputs"] == [{"namespace": DS_NS, "name": chain["raw"]}]
    assert job["outputs"] == [{"namespace": DS_NS, "name": chain["staged"]}]
    assert job["latestRun"]["state"] == "COMPLETED"
    runs = api.get(f"/api/v1/namespaces/{NS}/jobs/dag.copy/runs").json()
    assert runs["totalCount"] >= 1 and runs["runs"][0]["id"] == chain["copy_run"]
    dag_run = api.get(f"/api/v1/jobs/runs/{chain['dag_run']}").json()
    assert chain["copy_run"] in dag_run["childRuns"] and len(dag_run["childRuns"]) == 2
    listed = api.get(f"/api/v1/namespaces/{NS}/jobs").json()
    assert {"dag", "dag.copy", "dag.mask"} <= {j["name"] for j in listed["jobs"]}


def test_lineage_graph_with_depth(api: httpx.Client, chain: dict[str, str]) -> None:
    node = f"dataset:{DS_NS}:{chain['shared']}"
    deep = {n["id"] for n in api.get("/api/v1/lineage", params={"nodeId": node, "depth": 3}).json()["graph"]}
    assert deep == {
        node, f"job:{NS}:dag.mask", f"dataset:{DS_NS}:{chain['staged']}", f"job:{NS}:dag.copy",
        f"dataset:{DS_NS}:{chain['raw']}",
    }  # fmt: skip
    shallow = api.get("/api/v1/lineage", params={"nodeId": node, "depth": 1}).json()["graph"]
    assert {n["id"] for n in shallow} == {node, f"job:{NS}:dag.mask", f"dataset:{DS_NS}:{chain['staged']}"}
    mask = next(n for n in shallow if n["type"] == "JOB")
    assert mask["outEdges"] == [{"origin": f"job:{NS}:dag.mask", "destination": node}]
    assert api.get("/api/v1/lineage", params={"nodeId": "dataset:nowhere:x"}).status_code == 404


def test_column_lineage_tells_a_copied_id_from_a_masked_one(api: httpx.Client, chain: dict[str, str]) -> None:
    node = f"datasetField:{DS_NS}:{chain['shared']}:person_key"
    graph = {n["id"]: n["data"] for n in api.get("/api/v1/column-lineage", params={"nodeId": node}).json()["graph"]}
    masked = graph[node]["inputFields"][0]
    assert (masked["dataset"], masked["field"]) == (chain["staged"], "id_no")
    assert masked["transformations"][0]["masking"] is True and masked["transformationType"] == "MASKED"
    copied = graph[f"datasetField:{DS_NS}:{chain['staged']}:id_no"]["inputFields"][0]
    assert (copied["dataset"], copied["field"], copied["transformationType"]) == (chain["raw"], "id_no", "IDENTITY")
    assert f"datasetField:{DS_NS}:{chain['raw']}:id_no" in graph
    down = api.get(
        "/api/v1/column-lineage",
        params={"nodeId": f"datasetField:{DS_NS}:{chain['raw']}:id_no", "withDownstream": "true"},
    ).json()["graph"]
    assert node in {n["id"] for n in down}


def test_search_finds_datasets_and_jobs(api: httpx.Client, chain: dict[str, str]) -> None:
    found = api.get("/api/v1/search", params={"q": "staging.peop"}).json()
    assert {"type": "DATASET", "name": chain["staged"], "namespace": DS_NS} in [
        {k: r[k] for k in ("type", "name", "namespace")} for r in found["results"]
    ]
    jobs = api.get("/api/v1/search", params={"q": "dag.mask", "filter": "JOB"}).json()["results"]
    assert [r["nodeId"] for r in jobs if r["namespace"] == NS] == [f"job:{NS}:dag.mask"]


def test_a_bad_facet_is_a_400_naming_it_and_stores_nothing(stack: Stack, api: httpx.Client) -> None:
    event = _event(
        outputs=[{"namespace": DS_NS, "name": "db.bad.t", "facets": {"schema": {"fields": [{"type": "x"}]}}}]
    )
    response = api.post("/api/v1/lineage", json=event)
    assert response.status_code == 400
    assert any(f.startswith("outputs.0.facets.schema.fields.0.name") for f in response.json()["detail"]["fields"])
    assert _count(stack, event["run"]["runId"]) == 0
    assert api.get(f"/api/v1/namespaces/{_q(DS_NS)}/datasets/db.bad.t").status_code == 404
