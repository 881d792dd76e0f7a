"""Build one Airflow DAG per feed contract.

DAG files stay a few lines (``dags/feeds.py``); everything here is cheap at parse time: reading
the YAML contracts is all it does. The steps' heavy imports (pandas, Great Expectations, dbt)
happen inside the tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from silobreak.contracts import FeedContract, load_contracts
from silobreak.settings import WAREHOUSE_DB, current_stack

START_DATE = datetime(2026, 1, 1)


def warehouse_asset(schema: str, table: str) -> Asset:
    """An Airflow Asset for a warehouse table, named like its OpenLineage dataset."""
    stack = current_stack()
    return Asset(
        name=f"{WAREHOUSE_DB}.{schema}.{table}",
        uri=f"postgres://{stack.host}:{stack.port('postgres')}/{WAREHOUSE_DB}/{schema}/{table}",
    )


def _fail_without_retry(exc: Exception) -> AirflowFailException:
    """A rejected batch or a broken contract will not mend itself: do not retry it."""
    return AirflowFailException(str(exc))


def feed_dag(contract: FeedContract) -> DAG:
    feed = contract.feed
    raw_asset = warehouse_asset(contract.raw_schema, contract.raw_table)
    master_asset = warehouse_asset("master", "master_person")

    @dag(
        dag_id=feed,
        description=f"{contract.department}: land, validate, load and master the {contract.entity} feed",
        doc_md=f"### Feed `{feed}`\n\n{contract.description}\n\nOwner: {contract.owner.name} "
        f"({contract.owner.email}). Contract: `contracts/feeds/{feed}.yml`.",
        schedule=contract.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["feed", f"department:{contract.department}"],
        default_args={
            "owner": contract.department,
            "retries": 1,
            "retry_delay": timedelta(seconds=30),
        },
    )
    def pipeline() -> None:
        @task
        def extract() -> dict[str, Any]:
            from silobreak.pipeline import steps

            return steps.extract(feed, dict(get_current_context()))

        @task
        def validate(landed: dict[str, Any]) -> dict[str, Any]:
            from silobreak.errors import SilobreakError
            from silobreak.pipeline import steps

            try:
                return steps.validate(feed, landed["batch_id"], dict(get_current_context()))
            except SilobreakError as exc:
                raise _fail_without_retry(exc) from exc

        @task(outlets=[raw_asset])
        def load(validated: dict[str, Any]) -> dict[str, Any]:
            from silobreak.pipeline import steps

            return steps.load(feed, validated["batch_id"], dict(get_current_context()))

        @task(outlets=[master_asset])
        def transform(loaded: dict[str, Any]) -> dict[str, Any]:
            from silobreak.pipeline import transform as dbt

            model = f"stg_{contract.department}__{contract.entity}"
            return {**dbt.build(f"{model}+", dict(get_current_context())), "batch_id": loaded["batch_id"]}

        # TaskFlow passes XComArgs where the functions declare their resolved values
        transform(load(validate(extract())))  # type: ignore[arg-type]

    return pipeline()


def build_feed_dags() -> dict[str, DAG]:
    """Every feed contract's DAG, by DAG id (for a DAG file's globals)."""
    return {contract.feed: feed_dag(contract) for contract in load_contracts()}
