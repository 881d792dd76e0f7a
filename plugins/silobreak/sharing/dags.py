"""The ``sharing`` DAG: re-apply the agreements after every master-data build and every night.

dbt rebuilds a master register by replacing its table, which drops the views on it; re-applying
after each build restores them. The nightly run revokes agreements that ended (apply grants only
what is in force that day). Each department's view of a dataset is an Airflow Asset,
``warehouse.shared_<department>.<dataset>``, updated by the apply task: a consuming department's
own DAG schedules on it (``schedule=[Asset("warehouse.shared_health.master_person")]``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Asset, AssetAny, AssetOrTimeSchedule, CronTriggerTimetable, dag, get_current_context, task

from silobreak.dag_factory import MASTER_REGISTERS, PLATFORM_OWNER, START_DATE, warehouse_asset
from silobreak.sharing.apply import shared_schema
from silobreak.sharing.model import AgreementFile, load_agreements

SHARING_DAG_ID = "sharing"
NIGHTLY = "5 0 * * *"
"""Just after midnight: an agreement whose end date was yesterday is revoked."""


def shared_asset(file: AgreementFile) -> Asset:
    """The Asset of a department's view of a dataset, named like its OpenLineage dataset."""
    return warehouse_asset(shared_schema(file.agreement.consumer), file.agreement.dataset)


def sharing_dag() -> DAG:
    files = load_agreements()

    @dag(
        dag_id=SHARING_DAG_ID,
        description="Apply the sharing agreements after each master-data build and nightly (revokes ended ones)",
        doc_md="### Sharing\n\nRebuilds every department's shared views from `agreements/` "
        "(`silobreak agreements apply`), after each master-data build and nightly, so ended agreements "
        "are revoked; ingests the departments' reads into the audit trail; reports freshness breaches. "
        "See docs/sharing.md.",
        schedule=AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(NIGHTLY, timezone="UTC"),
            assets=AssetAny(*(warehouse_asset("master", name) for name in MASTER_REGISTERS)),
        ),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["sharing", "governance"],
        default_args={"owner": PLATFORM_OWNER, "retries": 1, "retry_delay": timedelta(seconds=30)},
    )
    def sharing() -> None:
        @task(outlets=[shared_asset(f) for f in files])
        def apply() -> dict[str, Any]:
            """Grant exactly what is in force today; record changes and revocations in the audit trail."""
            from silobreak.settings import current_stack
            from silobreak.sharing.service import apply_agreements

            result = apply_agreements(current_stack(), actor="airflow:sharing", context=dict(get_current_context()))
            return {"granted": result.granted, "revoked": result.revoked, "waiting": result.waiting}

        @task
        def freshness() -> list[str]:
            """Breaches of the freshness the consumers rely on, reported to the audit trail."""
            from silobreak.settings import current_stack
            from silobreak.sharing.service import check_freshness

            return [f.agreement for f in check_freshness(current_stack(), actor="airflow:sharing") if f.breached]

        apply() >> freshness()

    return sharing()
