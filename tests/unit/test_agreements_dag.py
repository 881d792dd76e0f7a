"""The sharing DAG follows master data and the clock, and publishes one Asset per agreement."""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule

from silobreak.sharing.dags import SHARING_DAG_ID, sharing_dag
from silobreak.sharing.model import load_agreements


def test_the_sharing_dag_runs_after_master_data_and_nightly_and_updates_each_shared_asset() -> None:
    dag = sharing_dag()
    assert dag.dag_id == SHARING_DAG_ID
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    assert "warehouse.master.master_person" in repr(dag.timetable.asset_condition)
    outlets = {o.name for t in dag.tasks for o in t.outlets}
    expected = {f"warehouse.shared_{f.agreement.consumer}.{f.agreement.dataset}" for f in load_agreements()}
    assert outlets == expected
    assert [t.task_id for t in dag.topological_sort()] == ["apply", "freshness"]
