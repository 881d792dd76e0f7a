"""Every DAG in dags/ imports, has an owner, tags and retries, and no cycles."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from silobreak.contracts import load_contracts

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}


def test_one_dag_per_feed_contract(dagbag: DagBag) -> None:
    assert set(dagbag.dags) >= {contract.feed for contract in load_contracts()}


def test_every_dag_is_documented_owned_tagged_and_retried(dagbag: DagBag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md, f"{dag_id} has no doc_md"
        assert dag.tags, f"{dag_id} has no tags"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"


def test_no_cycles(dagbag: DagBag) -> None:
    for dag in dagbag.dags.values():
        assert dag.topological_sort()  # raises on a cycle


def test_the_embedded_stack_runs_feeds_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILOBREAK_SCHEDULES", "off")
    dags = DagBag(dag_folder=str(DAGS)).dags
    feeds = {contract.feed for contract in load_contracts()}
    assert all(dags[feed].schedule is None for feed in feeds)
    assert dags["master_data"].schedule is not None, "master data still follows the feeds' Assets"
