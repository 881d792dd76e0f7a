"""Column lineage of the real dbt models, after a dbt build: real upstream tables and columns, how each
column was made, and sensitivity carried from the feed contracts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from silobreak.pipeline import steps
from silobreak.pipeline.transform import refresh
from silobreak.settings import Stack


@pytest.fixture(scope="module")
def api(stack: Stack) -> httpx.Client:
    feed = "public_security__residents"  # some data, as after a feed run (earlier tests may have loaded it)
    batches = steps.extract(feed, stack=stack)["batches"]
    steps.validate(feed, batches, stack=stack)
    steps.load(feed, batches, stack=stack)
    refresh(stack=stack)  # every model, through dbt-ol (and resolution)
    return httpx.Client(
        base_url=stack.lineage_url, headers={"Authorization": f"Bearer {stack.credentials.lineage_token}"}, timeout=30
    )


def _field(api: httpx.Client, stack: Stack, table: str, field: str) -> dict[str, Any]:
    node = f"datasetField:{stack.postgres_namespace}:warehouse.{table}:{field}"
    graph = api.get("/api/v1/column-lineage", params={"nodeId": node, "depth": 1}).json()["graph"]
    return next(n["data"] for n in graph if n["id"] == node)


def _how(field: dict[str, Any], dataset: str, column: str) -> dict[str, Any]:
    """The first transformation by which ``field`` comes from ``dataset.column``."""
    found = [i for i in field["inputFields"] if (i["dataset"], i["field"]) == (f"warehouse.{dataset}", column)]
    assert found, f"{dataset}.{column} not among {[(i['dataset'], i['field']) for i in field['inputFields']]}"
    return dict(found[0]["transformations"][0])


def test_master_person_columns_name_real_upstream_columns(stack: Stack, api: httpx.Client) -> None:
    key = _field(api, stack, "master.master_person", "master_person_id")
    copied = _how(key, "intermediate.int_person_records__resolved", "master_person_id")
    assert copied["subtype"] == "IDENTITY" and not copied["masking"]  # the resolution step's id, copied
    count = _field(api, stack, "master.master_person", "department_count")
    assert _how(count, "intermediate.int_person_records__resolved", "source_department")["subtype"] == "AGGREGATION"
    golden = _field(api, stack, "master.master_person", "resident_id")
    assert _how(golden, "master.master_person_provenance", "value")["subtype"] == "AGGREGATION"  # the survivor


def test_a_hashed_column_is_told_apart_from_a_copied_one(stack: Stack, api: httpx.Client) -> None:
    entity = _field(api, stack, "intermediate.int_legal_entity_attributes__candidates", "master_legal_entity_id")
    hashed = [t for i in entity["inputFields"] if i["field"] == "credit_code" for t in i["transformations"]]
    assert hashed and all(t["masking"] for t in hashed), entity["inputFields"]  # md5 of the credit code


def test_no_model_column_comes_from_a_cte(stack: Stack, api: httpx.Client) -> None:
    for dataset in (
        "master.master_person",
        "intermediate.int_persons__unioned",
        "staging.stg_public_security__residents",
    ):
        node = f"dataset:{stack.postgres_namespace}:warehouse.{dataset}"
        graph = api.get("/api/v1/column-lineage", params={"nodeId": node, "depth": 1}).json()["graph"]
        inputs = [i for n in graph for i in n["data"]["inputFields"]]
        assert inputs, dataset
        assert all(i["dataset"].count(".") == 2 and i["dataset"].startswith("warehouse.") for i in inputs), inputs


def test_staging_reaches_the_raw_contract_columns_with_their_sensitivity(stack: Stack, api: httpx.Client) -> None:
    resident = _field(api, stack, "staging.stg_public_security__residents", "resident_id")
    (source,) = resident["inputFields"]
    assert (source["dataset"], source["field"]) == ("warehouse.raw_public_security.residents", "id_card_no")
    assert source["transformations"][0]["subtype"] == "TRANSFORMATION"  # normalised, not copied
    assert "sensitivity:L4" in resident["tags"]
    master = api.get(
        f"/api/v1/namespaces/{stack.postgres_namespace.replace('/', '%2F')}/datasets/warehouse.master.master_person"
    ).json()
    assert "department:public_security" in master["owners"]
    assert next(f for f in master["fields"] if f["name"] == "resident_id")["tags"] == ["sensitivity:L4"]


def test_the_rewritten_dbt_events_are_valid_openlineage(stack: Stack, api: httpx.Client) -> None:
    from tests.openlineage_spec import problems

    events = api.get("/api/v1/events/lineage", params={"limit": 200}).json()["events"]
    dbt_runs = [e for e in events if "columnLineage" in (e.get("outputs") or [{}])[0].get("facets", {})]
    assert dbt_runs
    assert {i: p for i, e in enumerate(dbt_runs) if (p := problems(e))} == {}
