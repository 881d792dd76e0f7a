"""Marquez-shaped read models over the store's read tables: namespaces, datasets, versions, jobs, runs, search.

Shapes follow Marquez's HTTP API so governance tools written for Marquez read them unchanged;
fields carry their tags (``sensitivity:L3``) and datasets their ownership from the events' facets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

Conn = psycopg.Connection[Any]
Row = dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def node_id(kind: str, namespace: str, name: str) -> str:
    return f"{kind}:{namespace}:{name}"


def _tag_names(tags: list[dict[str, Any]]) -> list[str]:
    return [f"{t['key']}:{t['value']}" for t in tags]


def namespaces(conn: Conn) -> list[Row]:
    rows = conn.execute("select name, created_at, updated_at from namespaces order by name").fetchall()
    return [_namespace(r) for r in rows]


def namespace(conn: Conn, name: str) -> Row | None:
    row = conn.execute("select name, created_at, updated_at from namespaces where name = %s", (name,)).fetchone()
    return _namespace(row) if row else None


def _namespace(row: tuple[Any, ...]) -> Row:
    name, created, updated = row
    return {
        "name": name,
        "createdAt": _iso(created),
        "updatedAt": _iso(updated),
        "ownerName": None,
        "description": None,
    }


def _fields(conn: Conn, dataset_ids: list[int]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = {i: [] for i in dataset_ids}
    for dataset_id, name, type_, description, tags in conn.execute(
        "select dataset_id, name, type, description, tags from dataset_fields where dataset_id = any(%s) "
        "order by dataset_id, position, name",
        (dataset_ids,),
    ):
        found[dataset_id].append(
            {"name": name, "type": type_, "description": description, "tags": _tag_names(tags), "tagFacets": tags}
        )
    return found


def _dataset(row: Row, fields: list[Row], with_facets: bool = True) -> Row:
    facets = row["facets"] or {}
    tags = [t for t in (facets.get("tags") or {}).get("tags") or [] if not t.get("field")]
    owners = [o.get("name") for o in (facets.get("ownership") or {}).get("owners") or []]
    source = (facets.get("dataSource") or {}).get("name") or row["namespace"]
    return {
        "id": {"namespace": row["namespace"], "name": row["name"]},
        "type": "DB_TABLE",
        "name": row["name"],
        "physicalName": row["name"],
        "createdAt": _iso(row["created_at"]),
        "updatedAt": _iso(row["updated_at"]),
        "namespace": row["namespace"],
        "sourceName": source,
        "fields": fields,
        "tags": _tag_names(tags),
        "owners": owners,
        "lastModifiedAt": _iso(row["updated_at"]),
        "description": (facets.get("documentation") or {}).get("description"),
        **({"facets": facets} if with_facets else {}),
        "currentVersion": str(row["current_version"]) if row["current_version"] else None,
        "deleted": False,
    }


DATASET_COLUMNS = "id, namespace, name, created_at, updated_at, facets, current_version"
SLIM_DATASET_COLUMNS = (
    "id, namespace, name, created_at, updated_at, current_version, jsonb_strip_nulls(jsonb_build_object("
    "'tags', facets->'tags', 'ownership', facets->'ownership', 'dataSource', facets->'dataSource', "
    "'documentation', facets->'documentation')) as facets"
)
"""What a graph node shows of a dataset: not its facets (a column-lineage facet alone can be kilobytes)."""


def datasets_by_id(conn: Conn, ids: list[int], with_facets: bool = True) -> dict[int, Row]:
    """Datasets by id; graph nodes leave the facets out, as Marquez's lineage does."""
    columns = DATASET_COLUMNS if with_facets else SLIM_DATASET_COLUMNS
    with conn.cursor(row_factory=dict_row) as cur:
        sql = f"select {columns} from datasets where id = any(%s)"  # noqa: S608 - a fixed column list
        rows = cur.execute(sql, (ids,)).fetchall()
    fields = _fields(conn, [r["id"] for r in rows])
    return {r["id"]: _dataset(r, fields[r["id"]], with_facets) for r in rows}


def datasets(conn: Conn, ns: str, limit: int, offset: int) -> Row:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"select {DATASET_COLUMNS}, count(*) over () as total from datasets where namespace = %s "  # noqa: S608
            "order by name limit %s offset %s",
            (ns, limit, offset),
        ).fetchall()
    fields = _fields(conn, [r["id"] for r in rows])
    total = rows[0]["total"] if rows else _count(conn, "datasets", ns)
    return {"totalCount": total, "datasets": [_dataset(r, fields[r["id"]]) for r in rows]}


def _count(conn: Conn, table: str, ns: str) -> int:
    row = conn.execute(f"select count(*) from {table} where namespace = %s", (ns,)).fetchone()  # noqa: S608
    return int(row[0]) if row else 0


def dataset_id(conn: Conn, ns: str, name: str) -> int | None:
    row = conn.execute("select id from datasets where namespace = %s and name = %s", (ns, name)).fetchone()
    return int(row[0]) if row else None


def dataset(conn: Conn, ns: str, name: str) -> Row | None:
    found = dataset_id(conn, ns, name)
    return datasets_by_id(conn, [found])[found] if found is not None else None


def dataset_versions(conn: Conn, ns: str, name: str, limit: int, offset: int) -> Row | None:
    found = dataset_id(conn, ns, name)
    if found is None:
        return None
    rows = conn.execute(
        "select v.id, v.created_at, v.run_id, v.fields, v.facets, count(*) over () "
        "from dataset_versions v where v.dataset_id = %s order by v.created_at desc limit %s offset %s",
        (found, limit, offset),
    ).fetchall()
    versions = []
    for version, created, run_id, fields, facets, _ in rows:
        versions.append(
            {
                "id": {"namespace": ns, "name": name, "version": str(version)},
                "type": "DB_TABLE",
                "name": name,
                "physicalName": name,
                "createdAt": _iso(created),
                "version": str(version),
                "namespace": ns,
                "sourceName": (facets.get("dataSource") or {}).get("name") or ns,
                "fields": [{**f, "tags": []} for f in fields],
                "facets": facets,
                "createdByRun": {"id": str(run_id)} if run_id else None,
            }
        )
    return {"totalCount": rows[0][5] if rows else 0, "versions": versions}


JOB_COLUMNS = "j.id, j.namespace, j.name, j.created_at, j.updated_at, j.facets, j.latest_run_id"


SLIM_JOB_COLUMNS = (
    "j.id, j.namespace, j.name, j.created_at, j.updated_at, j.latest_run_id, jsonb_strip_nulls(jsonb_build_object("
    "'jobType', j.facets->'jobType', 'sourceCodeLocation', j.facets->'sourceCodeLocation', "
    "'documentation', j.facets->'documentation')) as facets"
)


def jobs_by_id(conn: Conn, ids: list[int], with_facets: bool = True) -> dict[int, Row]:
    """Jobs by id; graph nodes leave out the facets and the latest run's own facets."""
    columns = JOB_COLUMNS if with_facets else SLIM_JOB_COLUMNS
    with conn.cursor(row_factory=dict_row) as cur:
        sql = f"select {columns} from jobs j where j.id = any(%s)"  # noqa: S608 - a fixed column list
        rows = cur.execute(sql, (ids,)).fetchall()
    return _jobs(conn, rows, with_facets)


def _jobs(conn: Conn, rows: list[Row], with_facets: bool = True) -> dict[int, Row]:
    ids = [r["id"] for r in rows]
    io: dict[int, dict[str, list[Row]]] = {i: {"in": [], "out": []} for i in ids}
    for job_id, direction, ns, name in conn.execute(
        "select io.job_id, io.direction, d.namespace, d.name from job_io io join datasets d on d.id = io.dataset_id "
        "where io.job_id = any(%s) order by d.namespace, d.name",
        (ids,),
    ):
        io[job_id][direction].append({"namespace": ns, "name": name})
    latest = runs_by_id(conn, [r["latest_run_id"] for r in rows if r["latest_run_id"]], with_facets)
    jobs = {}
    for r in rows:
        facets = r["facets"] or {}
        parent = r["name"].rsplit(".", 1)[0] if "." in r["name"] else None
        jobs[r["id"]] = {
            "id": {"namespace": r["namespace"], "name": r["name"]},
            "type": ((facets.get("jobType") or {}).get("processingType")) or "BATCH",
            "name": r["name"],
            "simpleName": r["name"].rsplit(".", 1)[-1],
            "parentJobName": parent,
            "createdAt": _iso(r["created_at"]),
            "updatedAt": _iso(r["updated_at"]),
            "namespace": r["namespace"],
            "inputs": io[r["id"]]["in"],
            "outputs": io[r["id"]]["out"],
            "location": (facets.get("sourceCodeLocation") or {}).get("url"),
            "description": (facets.get("documentation") or {}).get("description"),
            **({"facets": facets} if with_facets else {}),
            "latestRun": latest.get(r["latest_run_id"]),
        }
    return jobs


def jobs(conn: Conn, ns: str, limit: int, offset: int) -> Row:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"select {JOB_COLUMNS}, count(*) over () as total from jobs j where j.namespace = %s "  # noqa: S608
            "order by j.name limit %s offset %s",
            (ns, limit, offset),
        ).fetchall()
    found = _jobs(conn, rows)
    total = rows[0]["total"] if rows else _count(conn, "jobs", ns)
    return {"totalCount": total, "jobs": [found[r["id"]] for r in rows]}


def job(conn: Conn, ns: str, name: str) -> Row | None:
    with conn.cursor(row_factory=dict_row) as cur:
        sql = f"select {JOB_COLUMNS} from jobs j where namespace = %s and name = %s"  # noqa: S608 - fixed columns
        rows = cur.execute(sql, (ns, name)).fetchall()
    return next(iter(_jobs(conn, rows).values()), None)


RUN_SQL = """
select r.id, r.state, r.created_at, r.updated_at, r.started_at, r.ended_at, r.parent_run_id, r.facets,
       j.namespace, j.name,
       coalesce((select jsonb_agg(jsonb_build_object('namespace', d.namespace, 'name', d.name, 'version', v.id)
                                  order by d.namespace, d.name)
                 from run_io io join dataset_versions v on v.id = io.dataset_version_id
                 join datasets d on d.id = v.dataset_id where io.run_id = r.id and io.direction = 'in'), '[]'),
       coalesce((select jsonb_agg(jsonb_build_object('namespace', d.namespace, 'name', d.name, 'version', v.id)
                                  order by d.namespace, d.name)
                 from run_io io join dataset_versions v on v.id = io.dataset_version_id
                 join datasets d on d.id = v.dataset_id where io.run_id = r.id and io.direction = 'out'), '[]')
from runs r join jobs j on j.id = r.job_id
"""


SLIM_RUN_SQL = """
select r.id, r.state, r.created_at, r.updated_at, r.started_at, r.ended_at, r.parent_run_id,
       jsonb_build_object('nominalTime', r.facets->'nominalTime'), j.namespace, j.name, null, null
from runs r join jobs j on j.id = r.job_id
"""
"""A run as a graph node's ``latestRun``: no facets, no dataset versions (they cost a join per run)."""


def _run(row: tuple[Any, ...], with_facets: bool = True) -> Row:
    run_id, state, created, updated, started, ended, parent, facets, job_ns, job_name, ins, outs = row
    nominal = (facets or {}).get("nominalTime") or {}
    return {
        "id": str(run_id),
        "createdAt": _iso(created),
        "updatedAt": _iso(updated),
        "nominalStartTime": nominal.get("nominalStartTime"),
        "nominalEndTime": nominal.get("nominalEndTime"),
        "state": state,
        "startedAt": _iso(started),
        "endedAt": _iso(ended),
        "durationMs": int((ended - started).total_seconds() * 1000) if started and ended else None,
        "args": {},
        "jobVersion": {"namespace": job_ns, "name": job_name},
        "parentRunId": str(parent) if parent else None,
        **(
            {
                "inputDatasetVersions": [{"datasetVersionId": v} for v in ins],
                "outputDatasetVersions": [{"datasetVersionId": v} for v in outs],
            }
            if ins is not None and outs is not None
            else {}
        ),
        "context": {},
        **({"facets": facets} if with_facets else {}),
    }


def runs_by_id(conn: Conn, ids: list[UUID], with_facets: bool = True) -> dict[UUID, Row]:
    rows = conn.execute((RUN_SQL if with_facets else SLIM_RUN_SQL) + " where r.id = any(%s)", (ids,)).fetchall()
    return {r[0]: _run(r, with_facets) for r in rows}


def run(conn: Conn, run_id: UUID) -> Row | None:
    return runs_by_id(conn, [run_id]).get(run_id)


def job_runs(conn: Conn, ns: str, name: str, limit: int, offset: int) -> Row | None:
    row = conn.execute("select id from jobs where namespace = %s and name = %s", (ns, name)).fetchone()
    if row is None:
        return None
    total = conn.execute("select count(*) from runs where job_id = %s", (row[0],)).fetchone()
    rows = conn.execute(
        RUN_SQL + " where r.job_id = %s order by r.created_at desc limit %s offset %s", (row[0], limit, offset)
    ).fetchall()
    return {"totalCount": int(total[0]) if total else 0, "runs": [_run(r) for r in rows]}


def child_runs(conn: Conn, run_id: UUID) -> list[Row]:
    """Runs whose parent facet names this run: a DAG run's tasks, a task's steps."""
    return [_run(r) for r in conn.execute(RUN_SQL + " where r.parent_run_id = %s order by r.created_at", (run_id,))]


def search(conn: Conn, q: str, kind: str | None, limit: int) -> Row:
    """Datasets and jobs whose name (or namespace) contains ``q``, most recently updated first."""
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    parts = []
    if kind in (None, "DATASET"):
        parts.append(
            "select 'DATASET' as type, name, updated_at, namespace from datasets "
            "where lower(name) like %(p)s or lower(namespace) like %(p)s"
        )
    if kind in (None, "JOB"):
        parts.append(
            "select 'JOB', name, updated_at, namespace from jobs where lower(name) like %(p)s "
            "or lower(namespace) like %(p)s"
        )
    union = " union all ".join(parts)  # fixed parts: the user's text is only ever a parameter
    rows = conn.execute(
        "select *, count(*) over () from (" + union + ") s order by updated_at desc, name limit %(limit)s",  # noqa: S608
        {"p": pattern, "limit": limit},
    ).fetchall()
    results = [
        {
            "type": t,
            "name": name,
            "updatedAt": _iso(updated),
            "namespace": ns,
            "nodeId": node_id(t.lower(), ns, name),
        }
        for t, name, updated, ns, _ in rows
    ]
    return {"totalCount": rows[0][4] if rows else 0, "results": results}
