"""The dataset graph read from stored lineage events: which job turned which inputs into which outputs."""

from __future__ import annotations

from collections import defaultdict

import psycopg

from silobreak.settings import LINEAGE_DB, Stack

EDGES_SQL = """
select distinct e.job_namespace || '/' || e.job_name, i.value ->> 'name', o.value ->> 'name'
from lineage_events e,
     jsonb_array_elements(coalesce(e.event -> 'inputs', '[]')) as i,
     jsonb_array_elements(coalesce(e.event -> 'outputs', '[]')) as o
where e.event_type = 'COMPLETE'
"""


def dataset_edges(stack: Stack) -> dict[tuple[str, bool], set[tuple[str, str]]]:
    """``{(dataset, downstream?): {(job, neighbour)}}`` over every completed run."""
    edges: dict[tuple[str, bool], set[tuple[str, str]]] = defaultdict(set)
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        for job, source, target in conn.execute(EDGES_SQL):
            if source == target:
                continue
            edges[(target, False)].add((job, source))
            edges[(source, True)].add((job, target))
    return edges
