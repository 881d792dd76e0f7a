"""``silobreak lineage``'s tree: a dataset's sources (or consumers), read from the lineage store's edges."""

from __future__ import annotations

from collections import defaultdict

import psycopg
from rich.tree import Tree

from silobreak.errors import SilobreakError
from silobreak.lineage import graph
from silobreak.settings import LINEAGE_DB, Stack


def lineage_tree(stack: Stack, dataset: str, *, depth: int, downstream: bool) -> Tree:
    """The dataset at the root, each branch a neighbour dataset and the job between them."""
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        namespaces = [r[0] for r in conn.execute("select namespace from datasets where name = %s", (dataset,))]
        if not namespaces:
            raise SilobreakError(
                f"no lineage stored for dataset {dataset!r}",
                hint="names look like warehouse.master.master_person; run a feed first, or see `silobreak status`",
            )
        found = graph.lineage(
            conn, f"dataset:{namespaces[0]}:{dataset}", depth, "downstream" if downstream else "upstream"
        )
    names = {n["id"]: n["data"]["name"] for n in found["graph"]}
    # neighbours[dataset node] = {(job name, neighbour dataset node)}
    neighbours: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for node in found["graph"]:
        if node["type"] != "JOB":
            continue
        sources = [e["origin"] for e in node["inEdges"]]
        targets = [e["destination"] for e in node["outEdges"]]
        for s in sources:
            for t in targets:
                if s != t:
                    here, there = (s, t) if downstream else (t, s)
                    neighbours[here].add((names[node["id"]], there))
    root_id = f"dataset:{namespaces[0]}:{dataset}"
    tree = Tree(f"[bold]{dataset}")

    def grow(branch: Tree, node: str, level: int, seen: frozenset[str]) -> None:
        if level >= depth:
            return
        for job, other in sorted(neighbours.get(node, set()), key=lambda x: (names[x[1]], x[0])):
            if other not in seen:
                grow(branch.add(f"{names[other]}  [dim]via {job}"), other, level + 1, seen | {other})

    grow(tree, root_id, 0, frozenset({root_id}))
    return tree
