"""The walking skeleton, for real: one feed through Airflow, GX, Postgres, S3 and dbt, with lineage."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from silobreak.contracts import get_contract
from silobreak.dag_factory import MASTER_DAG_ID
from silobreak.pipeline import landing, steps
from silobreak.runs import AirflowClient, DagRunResult
from silobreak.settings import LANDING_BUCKET, LINEAGE_DB, QUARANTINE_BUCKET, SOURCES_DB, Stack
from silobreak.stack import control
from silobreak.stack.s3 import client as s3_client
from silobreak.warehouse import connect
from tests.openlineage_spec import problems

FEED = "public_security__residents"
# defects the validation gate must catch (the others are for entity resolution, later)
VALIDATION_DEFECTS = {"bad_check_digit", "impossible_birth_date", "missing_id", "missing_name", "gender_mismatch"}


def run_dag(stack: Stack) -> tuple[DagRunResult, DagRunResult]:
    """Run the feed's DAG, then follow the master-data run its Asset update triggers."""
    airflow = AirflowClient(stack)
    airflow.wait_for_dag(FEED)
    airflow.wait_for_dag(MASTER_DAG_ID)
    started = datetime.now(UTC).isoformat()
    result = airflow.wait(FEED, airflow.trigger(FEED), timeout=900)
    assert result.state == "success", f"DAG run failed: {result.failures}"
    master = airflow.wait_for_triggered(MASTER_DAG_ID, started, timeout=900)
    assert master is not None, "loading the feed must trigger master_data through its Asset"
    assert master.state == "success", f"master_data failed: {master.failures}"
    return result, master


def snapshot(stack: Stack) -> dict[str, Any]:
    """Everything a rerun must leave the same."""
    with connect(stack) as conn:
        master = conn.execute(
            "select md5(string_agg(t::text, '|' order by master_person_id)), count(*) from master.master_person t"
        ).fetchone()
        raw = conn.execute("select count(*), count(distinct _batch_id) from raw_public_security.residents").fetchone()
        held = conn.execute("select count(*) from silobreak.quarantined_rows").fetchone()
        batches = conn.execute("select count(*) from silobreak.batches").fetchone()
    objects = sorted(o.object_name for o in s3_client(stack).list_objects(LANDING_BUCKET, recursive=True))
    return {"master": master, "raw": raw, "quarantined": held, "batches": batches, "landed": objects}


@pytest.fixture(scope="module")
def first_run(stack: Stack) -> dict[str, Any]:
    result, master = run_dag(stack)
    return {"result": result, "master": master, "snapshot": snapshot(stack)}


def latest_batch(stack: Stack) -> tuple[str, int, int, int, str]:
    with connect(stack) as conn:
        row = conn.execute(
            "select batch_id, row_count, valid_count, quarantined_count, status from silobreak.batches "
            "where feed = %s order by loaded_at desc nulls last limit 1",
            (FEED,),
        ).fetchone()
    assert row is not None
    return row


def test_every_task_of_the_dag_run_succeeded(first_run: dict[str, Any]) -> None:
    assert first_run["result"].tasks == {"extract": "success", "validate": "success", "load": "success"}
    # master_data: dbt build of staging, entity resolution, dbt build of the registers
    assert first_run["master"].tasks == {"build": "success", "resolve": "success", "build_registers": "success"}


def test_the_batch_is_landed_with_a_manifest_that_matches_it(stack: Stack, first_run: dict[str, Any]) -> None:
    batch_id, rows, *_ = latest_batch(stack)
    s3 = s3_client(stack)
    prefix = landing.batch_prefix(get_contract(FEED), batch_id)
    manifest = json.loads(s3.get_object(LANDING_BUCKET, f"{prefix}/manifest.json").read())
    data = s3.get_object(LANDING_BUCKET, f"{prefix}/data.csv").read()
    with psycopg.connect(stack.dsn(SOURCES_DB)) as conn:
        source_rows = conn.execute("select count(*) from public_security.residents").fetchone()
    assert source_rows is not None
    assert manifest["row_count"] == rows == source_rows[0]
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["batch_id"] == batch_id
    assert [c["name"] for c in manifest["schema"]] == get_contract(FEED).column_names
    assert manifest["source"]["name"] == "departments.public_security.residents"
    assert manifest["extracted_at"]
    assert len(list(csv.reader(io.StringIO(data.decode())))) == rows + 1


def test_no_row_is_lost_between_landing_raw_and_quarantine(stack: Stack, first_run: dict[str, Any]) -> None:
    batch_id, rows, valid, quarantined, status = latest_batch(stack)
    assert status == "loaded"
    with connect(stack) as conn:
        raw = conn.execute(
            "select count(*) from raw_public_security.residents where _batch_id = %s", (batch_id,)
        ).fetchone()
        held = conn.execute(
            "select count(*), bool_and(cardinality(reasons) > 0) from silobreak.quarantined_rows "
            "where feed = %s and batch_id = %s",
            (FEED, batch_id),
        ).fetchone()
    assert raw is not None and held is not None
    assert raw[0] == valid and held[0] == quarantined and valid + quarantined == rows
    assert quarantined > 0 and held[1], "every quarantined row carries its reasons"
    listed = s3_client(stack).get_object(QUARANTINE_BUCKET, f"public_security/residents/batch={batch_id}/rows.jsonl")
    assert len(listed.read().decode().splitlines()) == quarantined


def test_injected_defects_are_quarantined_and_clean_rows_are_not(stack: Stack, first_run: dict[str, Any]) -> None:
    truth_file = stack.dir / "truth" / f"{FEED}.csv"
    with truth_file.open(encoding="utf-8") as fh:
        truth = {row["person_no"]: row for row in csv.DictReader(fh)}
    with connect(stack) as conn:
        held = {
            r[0]: r[1] for r in conn.execute("select record->>'person_no', reasons from silobreak.quarantined_rows")
        }
    defective = {key for key, row in truth.items() if row["defect"] in VALIDATION_DEFECTS}
    clean = {key for key, row in truth.items() if not row["defect"]}
    assert defective, "the test city must carry defects"
    missed = defective - held.keys()
    assert not missed, f"defects that passed validation: {sorted(missed)[:5]}"
    wrongly_held = clean & held.keys()
    assert not wrongly_held, f"clean rows quarantined: {[(k, held[k]) for k in sorted(wrongly_held)[:5]]}"
    bad_ids = [key for key, row in truth.items() if row["defect"] == "bad_check_digit"]
    assert all("id_card_no:resident_id_valid" in held[key] for key in bad_ids)


def test_master_person_has_one_row_per_valid_resident_id(stack: Stack, first_run: dict[str, Any]) -> None:
    batch_id, *_ = latest_batch(stack)
    with connect(stack) as conn:
        expected = conn.execute(
            "select count(distinct resident_id) from staging.stg_public_security__residents where batch_id = %s",
            (batch_id,),
        ).fetchone()
        master = conn.execute(
            "select count(*), count(distinct resident_id), bool_and(source_batch = %s) from master.master_person",
            (batch_id,),
        ).fetchone()
    assert expected is not None and master is not None
    assert master[0] == master[1] == expected[0] > 0
    assert master[2], "every golden record names the batch it came from"


def test_every_stored_lineage_event_is_valid_openlineage(stack: Stack, first_run: dict[str, Any]) -> None:
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        events = [row[0] for row in conn.execute("select event from lineage_events order by id")]
    assert events
    invalid = {f"{e['job']['name']} {e.get('eventType')}": problems(e) for e in events if problems(e)}
    assert not invalid, invalid


def test_each_step_reports_lineage_with_standard_names(stack: Stack, first_run: dict[str, Any]) -> None:
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        complete = {
            row[0]: row[1]
            for row in conn.execute(
                "select job_name, event from lineage_events where event_type = 'COMPLETE' "
                "and job_namespace = 'silobreak' order by id"
            )
        }
        airflow_jobs = {
            row[0] for row in conn.execute("select job_name from lineage_events where job_namespace = 'airflow'")
        }
    pg = stack.postgres_namespace
    extract = complete[f"{FEED}.extract"]
    assert (extract["inputs"][0]["namespace"], extract["inputs"][0]["name"]) == (
        pg,
        "departments.public_security.residents",
    )
    assert (extract["outputs"][0]["namespace"], extract["outputs"][0]["name"]) == (
        "s3://landing",
        "public_security/residents",
    )
    parent = extract["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"]) == ("airflow", f"{FEED}.extract"), "parent: its task"
    assert parent["root"]["job"]["name"] == FEED, "and its root is the DAG run"
    validate = complete[f"{FEED}.validate"]
    assert {"dataQualityAssertions", "dataQualityMetrics"} <= validate["inputs"][0]["inputFacets"].keys()
    load = complete[f"{FEED}.load"]
    assert {(o["namespace"], o["name"]) for o in load["outputs"]} >= {(pg, "warehouse.raw_public_security.residents")}
    dbt_model = complete["warehouse.master.silobreak.master_person.build.run"]
    assert dbt_model["outputs"][0]["name"] == "warehouse.master.master_person"
    assert "columnLineage" in dbt_model["outputs"][0]["facets"]
    assert {FEED, f"{FEED}.extract", f"{MASTER_DAG_ID}.build"} <= airflow_jobs, "Airflow reports DAGs and tasks"
    # dbt-ol hangs each model's run under the dbt command's run, and that under the Airflow task
    assert dbt_model["run"]["facets"]["parent"]["job"]["name"] == "dbt-run-silobreak"
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:  # under Airflow, dbt-ol names it in its parent's namespace
        row = conn.execute(
            "select event from lineage_events where job_name = 'dbt-run-silobreak' and event_type = 'COMPLETE' "
            "order by id desc limit 1"
        ).fetchone()
    assert row is not None
    dbt_command = row[0]
    assert dbt_command["run"]["facets"]["parent"]["job"]["name"] == f"{MASTER_DAG_ID}.build_registers"
    resolve = complete["resolution.persons"]
    assert resolve["inputs"][0]["name"] == "warehouse.intermediate.int_persons__unioned"
    assert resolve["outputs"][0]["name"] == "warehouse.resolution.person_xref"
    assert resolve["run"]["facets"]["parent"]["job"]["name"] == f"{MASTER_DAG_ID}.resolve"


def test_rerunning_the_dag_gives_the_same_tables(stack: Stack, first_run: dict[str, Any]) -> None:
    run_dag(stack)
    assert snapshot(stack) == first_run["snapshot"]


def test_unchanged_source_lands_nothing_new(stack: Stack, first_run: dict[str, Any]) -> None:
    summary = steps.extract(FEED, stack=stack)
    assert summary["new"] == []
    assert snapshot(stack)["landed"] == first_run["snapshot"]["landed"]


def test_changed_source_lands_a_new_batch_and_keeps_the_old_one(stack: Stack, first_run: dict[str, Any]) -> None:
    before = snapshot(stack)["landed"]
    with psycopg.connect(stack.dsn(SOURCES_DB)) as conn:
        conn.execute(
            "update public_security.residents set updated_at = updated_at + interval '1 day' "
            "where person_no = (select min(person_no) from public_security.residents)"
        )
    summary = steps.extract(FEED, stack=stack)
    after = snapshot(stack)["landed"]
    assert len(summary["new"]) == 1
    assert set(before) < set(after) and len(after) == len(before) + 2  # data.csv + manifest.json
    with connect(stack) as conn:
        status = conn.execute(
            "select status from silobreak.batches where feed = %s and batch_id = %s", (FEED, summary["new"][0])
        ).fetchone()
    assert status == ("landed",)


def test_starting_the_stack_twice_is_harmless(stack: Stack) -> None:
    control.up(stack)
    assert all(control.status(stack)["running"].values())


def test_status_json_says_where_everything_runs(stack: Stack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "silobreak", "status", "--json"], capture_output=True, text=True, check=True
    )
    info = json.loads(result.stdout)
    assert info["postgres"].startswith("postgresql://") and str(stack.port("postgres")) in info["postgres"]
    assert info["s3"] == f"http://127.0.0.1:{stack.port('s3')}"
    assert info["airflow"] == stack.airflow_url
    assert info["lineage"] == f"{stack.lineage_url}/api/v1/lineage"
    assert all(info["running"].values()) and {"postgres", "s3", "lineage", "airflow"} <= info["running"].keys()
