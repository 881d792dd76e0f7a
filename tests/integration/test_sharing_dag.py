"""The sharing DAG, run by Airflow: it applies the repository's agreements and updates each
department's shared Asset, which a consumer's own DAG can schedule on."""

from __future__ import annotations

from datetime import date
from typing import Any

from silobreak.runs import AirflowClient
from silobreak.settings import Stack
from silobreak.sharing.dags import SHARING_DAG_ID
from silobreak.sharing.model import load_agreements
from silobreak.warehouse import connect
from tests.integration.test_sharing import ensure_master_person


def test_the_sharing_dag_applies_the_agreements_and_updates_their_assets(stack: Stack) -> None:
    ensure_master_person(stack)
    airflow = AirflowClient(stack)
    airflow.wait_for_dag(SHARING_DAG_ID)
    result = airflow.wait(SHARING_DAG_ID, airflow.trigger(SHARING_DAG_ID), timeout=600)
    assert result.state == "success", result.failures
    assert result.tasks == {"apply": "success", "freshness": "success"}
    in_force = {f.agreement.id: f.agreement for f in load_agreements() if f.agreement.active(date.today())}
    with connect(stack) as conn:
        applied = {r[0] for r in conn.execute("select agreement from sharing_private.applied")}
        views = {r[0] for r in conn.execute("select schemaname from pg_views where schemaname like 'shared\\_%'")}
    assert applied == set(in_force)
    assert views == {f"shared_{a.consumer}" for a in in_force.values()}
    events: Any = airflow._call("GET", "/assets/events", params={"source_dag_id": SHARING_DAG_ID})
    updated = {e.get("uri", "") for e in events["asset_events"]}
    for agreement in in_force.values():
        assert any(u.endswith(f"/warehouse/shared_{agreement.consumer}/{agreement.dataset}") for u in updated)
