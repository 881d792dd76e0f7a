"""Airflow DAGs built from the feed contracts in contracts/feeds/: one per department feed, and
master_data, scheduled on the feeds' raw tables.

To add a feed, add a contract file: no Python. See docs/contracts.md.
"""

from silobreak.dag_factory import build_dags

globals().update(build_dags())
