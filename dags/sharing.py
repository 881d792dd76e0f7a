"""The Airflow DAG `sharing`, built from the agreements in agreements/: re-applies them after each
master-data build and nightly, so ended agreements are revoked. See docs/sharing.md."""

from silobreak.sharing.dags import SHARING_DAG_ID, sharing_dag

globals()[SHARING_DAG_ID] = sharing_dag()
