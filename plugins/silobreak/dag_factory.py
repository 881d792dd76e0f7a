"""Build the Airflow DAGs from the feed contracts.

- One DAG per feed (``<department>__<entity>``): extract → validate → load. Its load task updates
  the feed's raw table, an Airflow Asset named like the table's OpenLineage dataset.
- ``master_data``: scheduled on those Assets (any feed's new rows): ``dbt build`` of staging and
  the person union, entity resolution (``resolve``: the xref of every person record to its master
  id), then ``dbt build`` of the registers and their history snapshots; the registers are Assets
  in turn for what follows (publishing).

DAG files stay a few lines (``dags/feeds.py``). Only the YAML contracts are read at parse time;
the steps' heavy imports (pandas, Great Expectations, dbt) happen inside the tasks.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, AssetAny, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from silobreak.contracts import FeedContract, load_contracts
from silobreak.settings import WAREHOUSE_DB, current_stack

START_DATE = datetime(2026, 1, 1)
MASTER_DAG_ID = "master_data"
MASTER_REGISTERS = ("master_person", "master_legal_entity", "master_address", "master_licence")
PLATFORM_OWNER = "data_office"


def schedules_enabled() -> bool:
    """Feed schedules apply unless SILOBREAK_SCHEDULES=off: the embedded stack sets that, so feeds
    run when someone runs them (``silobreak run``, the UI) and tests see only the runs they make."""
    return os.environ.get("SILOBREAK_SCHEDULES", "on") != "off"


def warehouse_asset(schema: str, table: str) -> Asset:
    """An Airflow Asset for a warehouse table, named like its OpenLineage dataset."""
    stack = current_stack()
    return Asset(
        name=f"{WAREHOUSE_DB}.{schema}.{table}",
        uri=f"postgres://{stack.host}:{stack.port('postgres')}/{WAREHOUSE_DB}/{schema}/{table}",
    )


def raw_asset(contract: FeedContract) -> Asset:
    return warehouse_asset(contract.raw_schema, contract.raw_table)


def _default_args(owner: str) -> dict[str, Any]:
    return {"owner": owner, "retries": 1, "retry_delay": timedelta(seconds=30)}


def feed_dag(contract: FeedContract) -> DAG:
    feed = contract.feed

    @dag(
        dag_id=feed,
        description=f"{contract.department}: land, validate and load the {contract.entity} feed",
        doc_md=f"### Feed `{feed}`\n\n{contract.description}\n\nSource: {contract.source.kind}. "
        f"Owner: {contract.owner.name} ({contract.owner.email}). Contract: `contracts/feeds/{feed}.yml`.",
        schedule=contract.schedule if schedules_enabled() else None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["feed", f"department:{contract.department}", f"source:{contract.source.kind}"],
        default_args=_default_args(contract.department),
    )
    def pipeline() -> None:
        @task
        def extract() -> list[str]:
            """Land what the department holds now; returns the batches to process."""
            from silobreak.pipeline import steps

            return list(steps.extract(feed, dict(get_current_context()))["batches"])

        @task
        def validate(batch_ids: list[str]) -> list[str]:
            """Run the feed's suite on each batch; a rejected batch fails the run without retries."""
            from silobreak.errors import SilobreakError
            from silobreak.pipeline import steps

            try:
                return [r["batch_id"] for r in steps.validate(feed, batch_ids, dict(get_current_context()))]
            except SilobreakError as exc:
                # a rejected batch will not mend itself: the department must resubmit
                raise AirflowFailException(str(exc)) from exc

        @task(outlets=[raw_asset(contract)])
        def load(batch_ids: list[str]) -> list[dict[str, Any]]:
            """Load valid rows to raw and invalid rows to quarantine, one transaction per batch."""
            from silobreak.pipeline import steps

            return steps.load(feed, batch_ids, dict(get_current_context()))

        load(validate(extract()))  # type: ignore[arg-type]  # TaskFlow passes XComArgs

    return pipeline()


def master_dag(contracts: list[FeedContract]) -> DAG:
    @dag(
        dag_id=MASTER_DAG_ID,
        description="Refresh staging, resolve what changed, update the master registers when any feed loads rows",
        doc_md="### Master data\n\nWhenever a feed's raw table changes: `dbt build` of staging per department "
        "and the person union; entity resolution of the records that changed into `resolution.person_xref` "
        "(review queue: `silobreak review list`); `dbt build` of the registers in schema `master` (the person "
        "registers incrementally) and their history.",
        schedule=AssetAny(*(raw_asset(c) for c in contracts)),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["master-data"],
        default_args=_default_args(PLATFORM_OWNER),
    )
    def master() -> None:
        @task
        def build() -> dict[str, Any]:
            """dbt build of staging and the person union, reported to OpenLineage per model (dbt-ol)."""
            from silobreak.pipeline import transform

            return transform.build_before_resolution(dict(get_current_context()))

        @task(outlets=[warehouse_asset("resolution", "person_xref")])
        def resolve() -> dict[str, Any]:
            """Entity resolution of the person records that changed (resident ID, then Splink)."""
            from silobreak.resolution.run import resolve_persons

            return resolve_persons(context=dict(get_current_context()))

        @task(outlets=[warehouse_asset("master", name) for name in MASTER_REGISTERS])
        def build_registers() -> dict[str, Any]:
            """dbt build of the registers from the xref, their tests, and the history snapshots."""
            from silobreak.pipeline import transform

            return transform.build_registers(dict(get_current_context()))

        build() >> resolve() >> build_registers()

    return master()


def build_dags() -> dict[str, DAG]:
    """Every DAG, by DAG id (for a DAG file's globals)."""
    contracts = load_contracts()
    dags = {contract.feed: feed_dag(contract) for contract in contracts}
    if contracts:
        dags[MASTER_DAG_ID] = master_dag(contracts)
    return dags
