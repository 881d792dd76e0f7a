"""Lineage graphs read from the store's indexed edges, breadth first with a depth limit.

Dataset lineage walks dataset -> job -> dataset edges (``job_io``); column lineage walks column
edges. Each level is one indexed query over the frontier, so a depth-3 graph is a handful of
queries whatever the number of events stored. Node ids are Marquez's: ``dataset:<namespace>:<name>``,
``job:<namespace>:<name>``, ``datasetField:<namespace>:<name>:<field>``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

import psycopg

from silobreak.lineage import reads

Conn = psycopg.Connection[Any]
Direction = Literal["upstream", "downstream", "both"]


class UnknownNodeError(LookupError):
    """The node id is malformed or names nothing stored."""


@dataclass(frozen=True)
class NodeRef:
    kind: Literal["dataset", "job", "datasetField"]
    namespace: str
    name: str
    field: str | None = None


def parse_node_id(node: str) -> NodeRef:
    """Namespaces hold colons (``postgres://host:port``), names and fields do not: split from the right."""
    kind, _, rest = node.partition(":")
    if kind in ("dataset", "job"):
        namespace, _, name = rest.rpartition(":")
        if namespace and name:
            return NodeRef(kind, namespace, name)  # type: ignore[arg-type]
    elif kind == "datasetField":
        head, _, field = rest.rpartition(":")
        namespace, _, name = head.rpartition(":")
        if namespace and name and field:
            return NodeRef("datasetField", namespace, name, field)
    raise UnknownNodeError(f"nodeId {node!r} is not dataset:<namespace>:<name>, job:<namespace>:<name> "
                      "or datasetField:<namespace>:<name>:<field>")  # fmt: skip


def lineage(conn: Conn, node: str, depth: int, direction: Direction = "both") -> dict[str, Any]:
    """Marquez's ``{"graph": [...]}`` around a dataset or job: nodes up to ``depth`` jobs away."""
    ref = parse_node_id(node)
    table = {"dataset": "datasets", "job": "jobs"}.get(ref.kind)
    if table is None:
        raise UnknownNodeError(
            "GET /api/v1/lineage takes a dataset: or job: nodeId; use /api/v1/column-lineage for fields"
        )
    row = conn.execute(
        f"select id from {table} where namespace = %s and name = %s",  # noqa: S608 - table from a fixed map
        (ref.namespace, ref.name),
    ).fetchone()
    if row is None:
        raise UnknownNodeError(f"no {ref.kind} {ref.name!r} in namespace {ref.namespace!r}")
    datasets: set[int] = set()
    jobs: set[int] = set()
    edges: set[tuple[int, str, int]] = set()  # (job, 'in' | 'out', dataset)
    frontier_d: set[int] = set()
    frontier_j: set[int] = set()
    if ref.kind == "dataset":
        datasets.add(row[0])
        frontier_d.add(row[0])
    else:
        jobs.add(row[0])
        frontier_j.add(row[0])
    # a dataset reaches its producers through 'out' edges (upstream) and consumers through 'in' edges
    wanted = {"upstream": ("out",), "downstream": ("in",), "both": ("in", "out")}[direction]
    job_side = {"upstream": ("in",), "downstream": ("out",), "both": ("in", "out")}[direction]
    for _ in range(depth):
        if frontier_d:
            found = conn.execute(
                "select job_id, direction, dataset_id from job_io where dataset_id = any(%s) and direction = any(%s)",
                (list(frontier_d), list(wanted)),
            ).fetchall()
            edges.update(found)
            frontier_j |= {j for j, _, _ in found} - jobs
            jobs |= frontier_j
        if not frontier_j:
            break
        found = conn.execute(
            "select job_id, direction, dataset_id from job_io where job_id = any(%s) and direction = any(%s)",
            (list(frontier_j), list(job_side)),
        ).fetchall()
        edges.update(found)
        frontier_d = {d for _, _, d in found} - datasets
        datasets |= frontier_d
        frontier_j = set()
    return _graph(conn, datasets, jobs, edges)


def _graph(conn: Conn, datasets: set[int], jobs: set[int], edges: set[tuple[int, str, int]]) -> dict[str, Any]:
    dataset_rows = reads.datasets_by_id(conn, sorted(datasets), with_facets=False)
    job_rows = reads.jobs_by_id(conn, sorted(jobs), with_facets=False)
    ids = {("d", k): reads.node_id("dataset", v["namespace"], v["name"]) for k, v in dataset_rows.items()}
    ids |= {("j", k): reads.node_id("job", v["namespace"], v["name"]) for k, v in job_rows.items()}
    ins: dict[str, list[dict[str, str]]] = defaultdict(list)
    outs: dict[str, list[dict[str, str]]] = defaultdict(list)
    for job, direction, dataset in sorted(edges):
        if ("j", job) not in ids or ("d", dataset) not in ids:
            continue
        j, d = ids[("j", job)], ids[("d", dataset)]
        origin, destination = (d, j) if direction == "in" else (j, d)
        edge = {"origin": origin, "destination": destination}
        outs[origin].append(edge)
        ins[destination].append(edge)
    graph = [
        {
            "id": ids[("d", k)],
            "type": "DATASET",
            "data": v,
            "inEdges": ins[ids[("d", k)]],
            "outEdges": outs[ids[("d", k)]],
        }
        for k, v in dataset_rows.items()
    ] + [
        {"id": ids[("j", k)], "type": "JOB", "data": v, "inEdges": ins[ids[("j", k)]], "outEdges": outs[ids[("j", k)]]}
        for k, v in job_rows.items()
    ]
    return {"graph": sorted(graph, key=lambda n: n["id"])}


Column = tuple[int, str]


def column_lineage(conn: Conn, node: str, depth: int, with_downstream: bool = False) -> dict[str, Any]:
    """Marquez's column-lineage graph: fields as nodes, each with the input fields it is made of and how.

    The start is one field (``datasetField:``) or every field of a dataset (``dataset:``); upstream
    always, downstream too when asked, ``depth`` column edges far.
    """
    ref = parse_node_id(node)
    if ref.kind == "job":
        raise UnknownNodeError("GET /api/v1/column-lineage takes a dataset: or datasetField: nodeId")
    found = reads.dataset_id(conn, ref.namespace, ref.name)
    if found is None:
        raise UnknownNodeError(f"no dataset {ref.name!r} in namespace {ref.namespace!r}")
    if ref.field is not None:
        start: set[Column] = {(found, ref.field)}
    else:
        start = {
            (found, name)
            for (name,) in conn.execute(
                "select name from dataset_fields where dataset_id = %s union select field from column_edges "
                "where dataset_id = %s",
                (found, found),
            )
        }
    seen = set(start)
    edges: set[tuple[int, str, int, str]] = set()
    transformations: dict[tuple[int, str, int, str], list[dict[str, Any]]] = {}
    up, down = set(start), set(start) if with_downstream else set()
    for _ in range(depth):
        found_rows = []
        if up:
            found_rows += [
                (r, "up")
                for r in conn.execute(
                    "select e.dataset_id, e.field, e.input_dataset_id, e.input_field, e.transformations "
                    "from column_edges e join unnest(%s::bigint[], %s::text[]) as c(d, f) "
                    "on e.dataset_id = c.d and e.field = c.f",
                    ([d for d, _ in up], [f for _, f in up]),
                )
            ]
        if down:
            found_rows += [
                (r, "down")
                for r in conn.execute(
                    "select e.dataset_id, e.field, e.input_dataset_id, e.input_field, e.transformations "
                    "from column_edges e join unnest(%s::bigint[], %s::text[]) as c(d, f) "
                    "on e.input_dataset_id = c.d and e.input_field = c.f",
                    ([d for d, _ in down], [f for _, f in down]),
                )
            ]
        up_next, down_next = set(), set()
        for (out_d, out_f, in_d, in_f, how), way in found_rows:
            key = (out_d, out_f, in_d, in_f)
            edges.add(key)
            transformations[key] = how
            if way == "up" and (in_d, in_f) not in seen:
                up_next.add((in_d, in_f))
            if way == "down" and (out_d, out_f) not in seen:
                down_next.add((out_d, out_f))
        seen |= up_next | down_next
        up, down = up_next, down_next
        if not up and not down:
            break
    return _column_graph(conn, seen, edges, transformations)


def _column_graph(
    conn: Conn,
    columns: set[Column],
    edges: set[tuple[int, str, int, str]],
    transformations: dict[tuple[int, str, int, str], list[dict[str, Any]]],
) -> dict[str, Any]:
    dataset_rows = reads.datasets_by_id(conn, sorted({d for d, _ in columns}), with_facets=False)

    def field_id(d: int, f: str) -> str:
        return f"datasetField:{dataset_rows[d]['namespace']}:{dataset_rows[d]['name']}:{f}"

    inputs: dict[Column, list[tuple[int, str, list[dict[str, Any]]]]] = defaultdict(list)
    outputs: dict[Column, list[Column]] = defaultdict(list)
    for out_d, out_f, in_d, in_f in sorted(edges):
        inputs[(out_d, out_f)].append((in_d, in_f, transformations[(out_d, out_f, in_d, in_f)]))
        outputs[(in_d, in_f)].append((out_d, out_f))
    graph = []
    for d, f in sorted(columns, key=lambda c: (dataset_rows[c[0]]["namespace"], dataset_rows[c[0]]["name"], c[1])):
        data = dataset_rows[d]
        meta: dict[str, Any] = next((x for x in data["fields"] if x["name"] == f), {})
        me = field_id(d, f)
        graph.append(
            {
                "id": me,
                "type": "DATASET_FIELD",
                "data": {
                    "namespace": data["namespace"],
                    "dataset": data["name"],
                    "datasetVersion": data["currentVersion"],
                    "field": f,
                    "fieldType": meta.get("type"),
                    "tags": meta.get("tags", []),
                    "owners": data["owners"],
                    "inputFields": [
                        {
                            "namespace": dataset_rows[i]["namespace"],
                            "dataset": dataset_rows[i]["name"],
                            "datasetVersion": dataset_rows[i]["currentVersion"],
                            "field": in_f,
                            "transformations": how,
                            "transformationType": _legacy_type(how),
                            "transformationDescription": "; ".join(t.get("description", "") for t in how) or None,
                        }
                        for i, in_f, how in inputs[(d, f)]
                        if i in dataset_rows
                    ],
                },
                "inEdges": [{"origin": field_id(i, in_f), "destination": me} for i, in_f, _ in inputs[(d, f)]],
                "outEdges": [{"origin": me, "destination": field_id(o, of)} for o, of in outputs[(d, f)]],
            }
        )
    return {"graph": graph}


def _legacy_type(how: list[dict[str, Any]]) -> str | None:
    """The deprecated IDENTITY/MASKED summary, for Marquez-era clients."""
    if any(t.get("masking") for t in how):
        return "MASKED"
    if how and all(t.get("type") == "DIRECT" and t.get("subtype") == "IDENTITY" for t in how):
        return "IDENTITY"
    return None
