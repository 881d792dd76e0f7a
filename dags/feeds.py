"""Airflow DAGs, one per department feed, generated from the contracts in contracts/feeds/.

To add a feed, add a contract file: no Python. See docs/contracts.md.
"""

from silobreak.dag_factory import build_feed_dags

globals().update(build_feed_dags())
