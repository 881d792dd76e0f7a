"""What the governance view shows, read straight from the lineage store (and the warehouse for quality).

Departments come from the datasets' ``department`` tags (set from feed contracts and dbt owners) or,
failing that, from raw table names ``raw_<department>.<entity>``. Sensitivity is the highest
``sensitivity`` tag (L1..L4) of a dataset's fields. Shared tables are those in the ``master`` and
``shared`` schemas, the ones other departments read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg

from silobreak.lineage import graph, reads

Conn = psycopg.Connection[Any]
Row = dict[str, Any]

SHARED_SCHEMAS = ("master", "shared")
MULTI = "cross-department"
"""The group of datasets made from several departments' data (master registers)."""
NONE = "unassigned"
RAW = re.compile(r"(?:^|\.)raw_([a-z0-9_]+)\.([a-z0-9_]+)$")


def departments(name: str, facets: dict[str, Any]) -> list[str]:
    tags = (facets.get("tags") or {}).get("tags") or []
    found = sorted({t["value"] for t in tags if t.get("key") == "department" and not t.get("field")})
    if not found:
        owners = (facets.get("ownership") or {}).get("owners") or []
        found = sorted({o["name"].split(":", 1)[1] for o in owners if str(o.get("name", "")).startswith("department:")})
    if not found and (match := RAW.search(name)):
        found = [match.group(1)]
    return found


def group_of(depts: list[str]) -> str:
    return depts[0] if len(depts) == 1 else (MULTI if depts else NONE)


def feed_of(name: str) -> str | None:
    """``warehouse.raw_<department>.<entity>`` is loaded by feed ``<department>__<entity>``."""
    match = RAW.search(name)
    return f"{match.group(1)}__{match.group(2)}" if match else None


def is_shared(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 2 and parts[-2] in SHARED_SCHEMAS


def _max_sensitivity(values: list[str]) -> str | None:
    levels = sorted(v for v in values if re.fullmatch(r"L[1-5]", v or ""))
    return levels[-1] if levels else None


NODE_SQL = """
select d.id, d.namespace, d.name, jsonb_build_object('tags', d.facets->'tags', 'ownership', d.facets->'ownership'),
       (select max(t->>'value') from dataset_fields f, jsonb_array_elements(f.tags) t
         where f.dataset_id = d.id and t->>'key' = 'sensitivity')
from datasets d
"""


def _nodes(conn: Conn, ids: list[int] | None, limit: int) -> dict[int, Row]:
    if ids is None:
        rows = conn.execute(NODE_SQL + " order by d.name limit %s", (limit,)).fetchall()
    else:
        rows = conn.execute(NODE_SQL + " where d.id = any(%s)", (ids,)).fetchall()
    nodes = {}
    for dataset_id, ns, name, facets, sensitivity in rows:
        depts = departments(name, facets)
        nodes[dataset_id] = {
            "id": reads.node_id("dataset", ns, name),
            "namespace": ns,
            "name": name,
            "departments": depts,
            "group": group_of(depts),
            "sensitivity": sensitivity,
            "shared": is_shared(name),
        }
    return nodes


def dataset_graph(conn: Conn, focus: str | None, depth: int, limit: int = 2000) -> Row:
    """Datasets and dataset -> dataset edges (through the jobs between them); around ``focus`` if given."""
    if focus:
        ref = graph.parse_node_id(focus)
        found = reads.dataset_id(conn, ref.namespace, ref.name)
        if found is None:
            raise graph.UnknownNodeError(f"no dataset {ref.name!r} in namespace {ref.namespace!r}")
        ids, frontier = {found}, {found}
        for _ in range(depth):
            rows = conn.execute(
                "select i.dataset_id, o.dataset_id from job_io i join job_io o on o.job_id = i.job_id "
                "and i.direction = 'in' and o.direction = 'out' where i.dataset_id = any(%s) or o.dataset_id = any(%s)",
                (list(frontier), list(frontier)),
            ).fetchall()
            frontier = {d for pair in rows for d in pair} - ids
            ids |= frontier
            if not frontier or len(ids) > limit:
                break
        nodes = _nodes(conn, sorted(ids)[:limit], limit)
    else:
        nodes = _nodes(conn, None, limit)
    edges = conn.execute(
        "select distinct i.dataset_id, o.dataset_id from job_io i join job_io o on o.job_id = i.job_id "
        "and i.direction = 'in' and o.direction = 'out' where i.dataset_id = any(%s) and o.dataset_id = any(%s) "
        "and i.dataset_id <> o.dataset_id",
        (list(nodes), list(nodes)),
    ).fetchall()
    return {
        "focus": focus,
        "nodes": sorted(nodes.values(), key=lambda n: n["name"]),
        "edges": sorted([nodes[a]["id"], nodes[b]["id"]] for a, b in edges),
        "truncated": len(nodes) >= limit,
    }


def dataset_page(conn: Conn, namespace: str, name: str) -> Row | None:
    """Schema with sensitivity, owner department, run history, freshness and consumers of one dataset."""
    found = reads.dataset(conn, namespace, name)
    if found is None:
        return None
    dataset_id = reads.dataset_id(conn, namespace, name)
    depts = departments(name, found["facets"])
    fields = [
        {
            "name": f["name"],
            "type": f["type"],
            "description": f["description"],
            "sensitivity": _max_sensitivity([t["value"] for t in f["tagFacets"] if t.get("key") == "sensitivity"]),
        }
        for f in found["fields"]
    ]
    runs = conn.execute(
        "select j.namespace, j.name, r.id, r.state, r.started_at, r.ended_at, r.created_at from job_io io "
        "join runs r on r.job_id = io.job_id join jobs j on j.id = io.job_id "
        "where io.dataset_id = %s and io.direction = 'out' order by r.created_at desc limit 20",
        (dataset_id,),
    ).fetchall()
    consumers = conn.execute(
        "select j.namespace, j.name, coalesce(jsonb_agg(jsonb_build_object('namespace', d.namespace, 'name', d.name, "
        "'facets', jsonb_build_object('tags', d.facets->'tags', 'ownership', d.facets->'ownership'))) "
        "filter (where d.id is not null), '[]') from job_io i join jobs j on j.id = i.job_id "
        "left join job_io o on o.job_id = i.job_id and o.direction = 'out' left join datasets d on d.id = o.dataset_id "
        "where i.dataset_id = %s and i.direction = 'in' group by j.namespace, j.name order by j.name",
        (dataset_id,),
    ).fetchall()
    completed = [r[5] for r in runs if r[3] == "COMPLETED" and r[5]]
    return {
        "id": reads.node_id("dataset", namespace, name),
        "namespace": namespace,
        "name": name,
        "departments": depts,
        "group": group_of(depts),
        "shared": is_shared(name),
        "sensitivity": _max_sensitivity([f["sensitivity"] or "" for f in fields]),
        "description": found["description"],
        "fields": fields,
        "updatedAt": found["updatedAt"],
        "lastSuccessfulRunAt": max(completed).isoformat() if completed else None,
        "currentVersion": found["currentVersion"],
        "runs": [
            {
                "job": jn,
                "jobNamespace": jns,
                "id": str(rid),
                "state": state,
                "startedAt": _iso(started),
                "endedAt": _iso(ended),
                "createdAt": _iso(created),
            }
            for jns, jn, rid, state, started, ended, created in runs
        ],
        "consumers": [
            {
                "job": jn,
                "jobNamespace": jns,
                "outputs": [
                    {
                        "id": reads.node_id("dataset", o["namespace"], o["name"]),
                        "name": o["name"],
                        "departments": departments(o["name"], o["facets"]),
                    }
                    for o in outputs
                ],
            }
            for jns, jn, outputs in consumers
        ],
        "feed": feed_of(name),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def impact(conn: Conn, node: str, max_depth: int = 20) -> Row:
    """Everything downstream of one source column: columns, shared tables and consuming departments."""
    ref = graph.parse_node_id(node)
    if ref.field is None:
        raise graph.UnknownNodeError("impact analysis takes a column: datasetField:<namespace>:<name>:<field>")
    start = reads.dataset_id(conn, ref.namespace, ref.name)
    if start is None:
        raise graph.UnknownNodeError(f"no dataset {ref.name!r} in namespace {ref.namespace!r}")
    seen: dict[tuple[int, str], int] = {(start, ref.field): 0}
    edges: list[tuple[tuple[int, str], tuple[int, str], Any]] = []
    frontier = [(start, ref.field)]
    for level in range(1, max_depth + 1):
        rows = conn.execute(
            "select e.input_dataset_id, e.input_field, e.dataset_id, e.field, e.transformations from column_edges e "
            "join unnest(%s::bigint[], %s::text[]) as c(d, f) on e.input_dataset_id = c.d and e.input_field = c.f",
            ([d for d, _ in frontier], [f for _, f in frontier]),
        ).fetchall()
        frontier = []
        for in_d, in_f, out_d, out_f, how in rows:
            edges.append(((in_d, in_f), (out_d, out_f), how))
            if (out_d, out_f) not in seen:
                seen[(out_d, out_f)] = level
                frontier.append((out_d, out_f))
        if not frontier:
            break
    nodes = _nodes(conn, sorted({d for d, _ in seen}), len(seen) + 1)
    field_tags = {
        (d, f): _max_sensitivity([t["value"] for t in tags if t.get("key") == "sensitivity"])
        for d, f, tags in conn.execute(
            "select dataset_id, name, tags from dataset_fields where dataset_id = any(%s)", (list(nodes),)
        )
    }

    def column_id(c: tuple[int, str]) -> str:
        return f"datasetField:{nodes[c[0]]['namespace']}:{nodes[c[0]]['name']}:{c[1]}"

    source_group = nodes[start]["group"]
    downstream = [c for c in seen if seen[c] > 0]
    consuming: dict[str, set[str]] = defaultdict(set)
    for d, _ in downstream:
        for dept in nodes[d]["departments"]:
            if dept not in nodes[start]["departments"]:
                consuming[dept].add(nodes[d]["name"])
    return {
        "source": {"id": node, "dataset": nodes[start]["name"], "field": ref.field, "group": source_group},
        "columns": [
            {
                "id": column_id(c),
                "dataset": nodes[c[0]]["name"],
                "datasetId": nodes[c[0]]["id"],
                "field": c[1],
                "depth": seen[c],
                "sensitivity": field_tags.get(c),
                "group": nodes[c[0]]["group"],
                "shared": nodes[c[0]]["shared"],
            }
            for c in sorted(downstream, key=lambda c: (seen[c], nodes[c[0]]["name"], c[1]))
        ],
        "sharedTables": sorted({nodes[d]["name"] for d, _ in downstream if nodes[d]["shared"]}),
        "consumingDepartments": [{"department": k, "datasets": sorted(v)} for k, v in sorted(consuming.items())],
        "edges": [
            {"from": column_id(a), "to": column_id(b), "transformations": how} for a, b, how in edges if a in seen
        ],
    }


def search(conn: Conn, q: str, limit: int = 20) -> Row:
    """Datasets whose name, and columns whose name, contain ``q``."""
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    datasets = conn.execute(
        "select namespace, name from datasets where lower(name) like %s order by length(name), name limit %s",
        (pattern, limit),
    ).fetchall()
    columns = conn.execute(
        "select d.namespace, d.name, f.name from dataset_fields f join datasets d on d.id = f.dataset_id "
        "where lower(f.name) like %s order by f.name, d.name limit %s",
        (pattern, limit),
    ).fetchall()
    return {
        "datasets": [{"id": reads.node_id("dataset", ns, n), "name": n, "namespace": ns} for ns, n in datasets],
        "columns": [
            {"id": f"datasetField:{ns}:{n}:{f}", "dataset": n, "datasetId": reads.node_id("dataset", ns, n), "field": f}
            for ns, n, f in columns
        ],
    }


QUALITY_LIMIT = 20


def quality(conn: Conn, feed: str, data_docs: Path | None) -> Row:
    """Latest and past quality results of a feed, if the warehouse keeps them (``silobreak.quality_history``)."""
    row = conn.execute(
        "select to_regclass('silobreak.quality_history') is not null, "
        "to_regclass('silobreak.validation_results') is not null"
    ).fetchone()
    history_exists, results_exist = row if row else (False, False)
    history: list[Row] = []
    checks: list[Row] = []
    if history_exists:
        with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            history = cur.execute(
                "select * from silobreak.quality_history where feed = %s order by validated_at desc nulls last "
                "limit %s",
                (feed, QUALITY_LIMIT),
            ).fetchall()
            if results_exist and history:
                checks = cur.execute(
                    "select check_name, expectation_type, column_name, severity, success, element_count, "
                    "unexpected_count, observed_value from silobreak.validation_results "
                    "where feed = %s and batch_id = %s order by success, check_name",
                    (feed, history[0]["batch_id"]),
                ).fetchall()
    for h in history:
        h["dataDocs"] = _data_docs_page(data_docs, str(h.get("batch_id")))
    return {
        "feed": feed,
        "available": bool(history_exists),
        "history": history,
        "latestChecks": checks,
        "dataDocs": "data-docs/index.html" if data_docs and (data_docs / "index.html").is_file() else None,
    }


def _data_docs_page(site: Path | None, batch_id: str) -> str | None:
    """The Data Docs page of one batch: ``validations/<suite>/<batch_id>/.../*.html`` under the site."""
    if site is None or not site.is_dir() or not batch_id or "/" in batch_id or batch_id.startswith("."):
        return None
    for page in sorted(site.glob(f"validations/*/{glob_escape(batch_id)}/**/*.html")):
        return "data-docs/" + page.relative_to(site).as_posix()
    return None


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
