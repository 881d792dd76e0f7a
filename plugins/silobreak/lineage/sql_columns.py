"""Column lineage of one SQL query, resolved with sqlglot down to real tables and columns.

openlineage-dbt's own parser stops at CTE names (``ranked.resident_id``) for our models, which
select ``*`` from CTEs. Here the query is qualified against the real column lists of the tables it
reads (so every ``*`` is expanded) and each output column is followed through every CTE to the
table columns it is made of. Each step says how: a column copied or cast is DIRECT/IDENTITY, an
expression DIRECT/TRANSFORMATION, an aggregate DIRECT/AGGREGATION, a hash marks ``masking``;
columns used in filters, joins, grouping, windows and sorting are INDIRECT dependencies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp, parse_one
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

Schema = dict[str, dict[str, dict[str, dict[str, str]]]]
"""``{database: {schema: {table: {column: type}}}}``, as sqlglot takes it."""

MASKING_FUNCTIONS = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "digest", "hmac", "crypt"}
RANK = {"IDENTITY": 0, "TRANSFORMATION": 1, "AGGREGATION": 2}


@dataclass(frozen=True)
class How:
    """One input column's part in an output column, as the OpenLineage facet's transformation."""

    type: str
    subtype: str
    masking: bool = False
    description: str = ""


@dataclass(frozen=True)
class Source:
    table: str  # database.schema.table
    column: str
    how: How


def _table_name(table: exp.Table) -> str:
    return ".".join(p for p in (table.catalog, table.db, table.name) if p)


def _is_masking(e: exp.Expr) -> bool:
    for node in e.walk():
        if isinstance(node, exp.MD5 | exp.MD5Digest | exp.SHA | exp.SHA2):
            return True
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in MASKING_FUNCTIONS:
            return True
    return False


def _step(e: exp.Expr) -> tuple[str, bool]:
    """How one projection makes its column: IDENTITY (a column, perhaps cast), TRANSFORMATION, AGGREGATION."""
    inner = e.this if isinstance(e, exp.Alias) else e
    while isinstance(inner, exp.Cast | exp.Paren):
        inner = inner.this
    masking = _is_masking(inner)
    if isinstance(inner, exp.Column):
        return "IDENTITY", False
    if inner.find(exp.AggFunc) and not inner.find(exp.Window):
        return "AGGREGATION", masking
    return "TRANSFORMATION", masking


def _paths(node: Node, steps: tuple[exp.Expr, ...] = ()) -> Iterator[tuple[Node, tuple[exp.Expr, ...]]]:
    if not node.downstream:
        yield node, steps
        return
    for child in node.downstream:
        yield from _paths(child, (*steps, node.expression))


def direct_sources(sql: str, column: str, schema: Schema, dialect: str = "postgres") -> list[Source]:
    """The table columns one output column is made of, each with how (the strongest step on its path)."""
    root = lineage(column, sql, schema=schema, dialect=dialect)
    found: dict[tuple[str, str], How] = {}
    union = isinstance(root.source, exp.SetOperation)
    for leaf, path in _paths(root):
        if not isinstance(leaf.expression, exp.Table):
            continue
        # a union's root stands for its first branch only; each path's next step is its own branch
        steps = path[1:] if union and len(path) > 1 else path
        kinds = [_step(s) for s in steps if not isinstance(s, exp.Table)]
        subtype = max((k for k, _ in kinds), key=RANK.__getitem__, default="IDENTITY")
        masking = any(m for _, m in kinds)
        top = steps[0] if steps else leaf.expression
        description = (top.this if isinstance(top, exp.Alias) else top).sql(dialect=dialect)
        how = How("DIRECT", subtype, masking, description if subtype != "IDENTITY" else "")
        key = (_table_name(leaf.expression), leaf.name.rsplit(".", 1)[-1])
        previous = found.get(key)
        if previous is None or RANK[how.subtype] > RANK[previous.subtype] or (how.masking and not previous.masking):
            found[key] = how
    return [Source(t, c, h) for (t, c), h in sorted(found.items())]


INDIRECT_CLAUSES = {"where": "FILTER", "having": "FILTER", "group": "GROUP_BY", "order": "SORT"}


def _resolve(scope: Scope, column: exp.Column, seen: frozenset[int] = frozenset()) -> Iterator[tuple[str, str]]:
    """The table columns behind a (qualified) column of a scope, through CTEs and subqueries."""
    source = scope.sources.get(column.table)
    if isinstance(source, exp.Table):
        yield _table_name(source), column.name
    elif isinstance(source, Scope) and id(source) not in seen:
        select = source.expression
        selects = select.selects if isinstance(select, exp.Select) else []
        for projection in selects:
            if projection.alias_or_name == column.name:
                for inner in projection.find_all(exp.Column):
                    yield from _resolve(source, inner, seen | {id(source)})


def indirect_sources(sql: str, schema: Schema, dialect: str = "postgres") -> list[Source]:
    """Columns the whole result depends on without being copied: filters, joins, grouping, windows, sorts."""
    tree = qualify(
        parse_one(sql, dialect=dialect),
        schema=schema,  # type: ignore[arg-type]
        dialect=dialect,
        validate_qualify_columns=False,
    )
    found: dict[tuple[str, str, str], None] = {}
    for scope in traverse_scope(tree):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        parts: list[tuple[str, exp.Expression]] = [
            (subtype, select.args[clause]) for clause, subtype in INDIRECT_CLAUSES.items() if select.args.get(clause)
        ]
        parts += [("JOIN", join.args["on"]) for join in select.args.get("joins") or [] if join.args.get("on")]
        for window in select.find_all(exp.Window):
            parts += [("WINDOW", p) for p in window.args.get("partition_by") or []]
            if window.args.get("order"):
                parts.append(("WINDOW", window.args["order"]))
        for subtype, part in parts:
            for column in part.find_all(exp.Column):
                for table, name in _resolve(scope, column):
                    found[(table, name, subtype)] = None
    return [Source(t, c, How("INDIRECT", s)) for t, c, s in sorted(found)]


def output_columns(sql: str, schema: Schema, dialect: str = "postgres") -> list[str]:
    """The query's result columns, with every ``*`` expanded."""
    tree = qualify(parse_one(sql, dialect=dialect), schema=schema, dialect=dialect)  # type: ignore[arg-type]
    return [s.alias_or_name for s in tree.selects] if isinstance(tree, exp.Query) else []


def tables_read(sql: str, dialect: str = "postgres") -> set[tuple[str, str, str]]:
    """(database, schema, table) of every real table the query reads (CTE names left out)."""
    tree = parse_one(sql, dialect=dialect)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {
        (t.catalog, t.db, t.name) for t in tree.find_all(exp.Table) if t.name not in ctes or t.db
    }  # fmt: skip
