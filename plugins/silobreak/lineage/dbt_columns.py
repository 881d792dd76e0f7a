"""Correct column lineage, ownership and sensitivity on dbt-ol's events, before they are sent.

dbt-ol's column lineage names CTEs (``ranked``) instead of tables for our models. This module is an
openlineage-python ``EventTransformer``: dbt-ol's client runs each event through it on the way
out, whatever the transport behind it (the built-in service or a Marquez), so each model run's
single COMPLETE event carries lineage resolved by :mod:`silobreak.lineage.sql_columns` against the
warehouse's real columns, plus ownership (the source departments) and per-column sensitivity (the
strictest level of the contract columns it is made of, masking or not: a plain hash of an ID is
still personal data).
"""

from __future__ import annotations

import json
import logging
import os
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from openlineage.client.client import Event
from openlineage.client.event_v2 import RunEvent
from openlineage.client.facet_v2 import column_lineage_dataset, ownership_dataset, schema_dataset, tags_dataset
from openlineage.client.transport.transform import EventTransformer

from silobreak.lineage import sql_columns
from silobreak.settings import REPO_ROOT, Stack

log = logging.getLogger(__name__)
LEVELS = ("L1", "L2", "L3", "L4")
MANIFEST = REPO_ROOT / "dbt_project" / "target" / "manifest.json"


def transport_environment(stack: Stack) -> dict[str, str]:
    """Environment for ``dbt-ol``: the HTTP transport to the lineage service, through this transformer."""
    transport = {
        "type": "transform",
        "transformer_class": f"{__name__}.DbtColumnLineage",
        "transport": {
            "type": "http",
            "url": stack.lineage_url,
            "endpoint": "api/v1/lineage",
            "auth": {"type": "api_key", "apiKey": stack.credentials.lineage_token},
        },
    }
    return {"OPENLINEAGE_URL": "", "OPENLINEAGE__TRANSPORT": json.dumps(transport)}


class Warehouse:
    """Column lists of warehouse tables and what the contracts say about raw ones."""

    def __init__(self, dsn: str, manifest: Path = MANIFEST) -> None:
        self.dsn = dsn
        self.manifest = manifest

    @cache  # noqa: B019 - one transformer per dbt-ol process
    def columns(self, schema: str, table: str) -> dict[str, str]:
        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table),
            ).fetchall()
        return {name: kind for name, kind in rows}

    def schema_for(self, sql: str) -> sql_columns.Schema:
        found: sql_columns.Schema = {}
        for database, schema, table in sql_columns.tables_read(sql):
            found.setdefault(database, {}).setdefault(schema, {})[table] = self.columns(schema, table)
        return found

    @cache  # noqa: B019
    def compiled_models(self) -> dict[str, str]:
        """``database.schema.table`` -> compiled SQL of every dbt model in the last manifest."""
        if not self.manifest.exists():
            return {}
        nodes = json.loads(self.manifest.read_text())["nodes"].values()
        compiled = {}
        for n in nodes:
            if n.get("resource_type") != "model":
                continue
            code = n.get("compiled_code")
            if not code:  # not selected this time: dbt keeps what an earlier run compiled on disk
                earlier = self.manifest.parent / "compiled" / n["package_name"] / n["original_file_path"]
                code = earlier.read_text(encoding="utf-8") if earlier.is_file() else None
            if code:
                compiled[f"{n['database']}.{n['schema']}.{n.get('alias') or n['name']}"] = code
        return compiled

    @cache  # noqa: B019
    def upstream_tables(self) -> dict[str, set[str]]:
        """``database.schema.table`` -> the tables it is built from, by dbt's own dependency graph
        (known for every node, also those a selective ``dbt build`` did not compile)."""
        if not self.manifest.exists():
            return {}
        manifest = json.loads(self.manifest.read_text())
        names = {
            key: f"{n['database']}.{n['schema']}.{n.get('alias') or n.get('identifier') or n['name']}"
            for section in ("nodes", "sources")
            for key, n in manifest.get(section, {}).items()
            if n.get("resource_type") in ("model", "snapshot", "seed", "source")
        }
        return {
            names[key]: {names[d] for d in (n.get("depends_on") or {}).get("nodes", []) if d in names}
            for key, n in manifest.get("nodes", {}).items()
            if key in names
        }

    @cache  # noqa: B019
    def lineage(self, sql: str) -> dict[str, list[sql_columns.Source]]:
        schema = self.schema_for(sql)
        return {c: sql_columns.direct_sources(sql, c, schema) for c in sql_columns.output_columns(sql, schema)}

    @cache  # noqa: B019
    def mirrors(self) -> dict[str, str]:
        """Tables a pipeline step keeps as a copy of a dbt model (a source with ``meta.mirrors:
        <model>``, like resolution.person_records): they carry that model's sensitivity and owners."""
        if not self.manifest.exists():
            return {}
        manifest = json.loads(self.manifest.read_text())
        models = {
            n["name"]: f"{n['database']}.{n['schema']}.{n.get('alias') or n['name']}"
            for n in manifest.get("nodes", {}).values()
            if n.get("resource_type") == "model"
        }
        found = {}
        for n in manifest.get("sources", {}).values():
            copied = (n.get("meta") or {}).get("mirrors") or (n.get("config") or {}).get("meta", {}).get("mirrors")
            if copied in models:
                found[f"{n['database']}.{n['schema']}.{n.get('identifier') or n['name']}"] = models[copied]
        return found

    @cache  # noqa: B019
    def classified(self, table: str) -> tuple[dict[str, str], frozenset[str]]:
        """Per-column sensitivity of a table, and the departments its data comes from."""
        from silobreak.contracts import load_contracts

        table = self.mirrors().get(table, table)
        _, schema, name = table.split(".", 2)
        for contract in load_contracts():
            if (contract.raw_schema, contract.raw_table) == (schema, name):
                return {c.name: c.sensitivity for c in contract.columns}, frozenset({contract.department})
        sql = self.compiled_models().get(table)
        if sql is None:
            return {}, self.departments(table)
        levels: dict[str, str] = {}
        departments: set[str] = set()
        for column, sources in self.lineage(sql).items():
            level = "L1"
            for source in sources:
                upstream, owners = self.classified(source.table)
                departments |= owners
                level = max(level, upstream.get(source.column, "L1"), key=LEVELS.index)
            levels[column] = level
        return levels, frozenset(departments | self.departments(table))

    @cache  # noqa: B019
    def departments(self, table: str) -> frozenset[str]:
        """The departments whose data a table is built from: ownership is by table, through dbt's
        dependency graph, so it holds where no column can be traced (an unpivot, a jsonb aggregate)."""
        from silobreak.contracts import load_contracts

        table = self.mirrors().get(table, table)
        _, schema, name = table.split(".", 2)
        for contract in load_contracts():
            if (contract.raw_schema, contract.raw_table) == (schema, name):
                return frozenset({contract.department})
        found: set[str] = set()
        for upstream in self.upstream_tables().get(table, set()) - {table}:
            found |= self.departments(upstream)
        return frozenset(found)


def _warehouse_from_environment() -> Warehouse:
    env = os.environ
    dsn = (
        f"host={env['SILOBREAK_PG_HOST']} port={env['SILOBREAK_PG_PORT']} dbname={env['SILOBREAK_PG_DATABASE']} "
        f"user={env['SILOBREAK_PG_USER']} password={env['SILOBREAK_PG_PASSWORD']}"
    )
    return Warehouse(dsn)


def _facet_input(namespace: str, source: sql_columns.Source) -> column_lineage_dataset.InputField:
    how = source.how
    return column_lineage_dataset.InputField(
        namespace=namespace,
        name=source.table,
        field=source.column,
        transformations=[
            column_lineage_dataset.Transformation(
                type=how.type, subtype=how.subtype, description=how.description or None, masking=how.masking
            )
        ],
    )


def enrich(event: RunEvent, warehouse: Warehouse) -> RunEvent:
    """Replace the column lineage of a dbt model run's output, and tag it with owners and sensitivity."""
    sql_facet = (event.job.facets or {}).get("sql")
    if sql_facet is None or not event.outputs:
        return event
    sql = sql_facet.query  # type: ignore[attr-defined]
    output = event.outputs[0]
    _, schema, table = output.name.split(".", 2)
    columns = warehouse.columns(schema, table)
    if not columns:
        return event
    direct = warehouse.lineage(sql)
    indirect = sql_columns.indirect_sources(sql, warehouse.schema_for(sql))
    facets = dict(output.facets or {})
    facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            column: column_lineage_dataset.Fields(inputFields=[_facet_input(output.namespace, s) for s in sources])
            for column, sources in direct.items()
            if sources
        },
        dataset=[_facet_input(output.namespace, s) for s in indirect],
    )
    described = {f.name: f.description for f in getattr(facets.get("schema"), "fields", None) or []}
    facets["schema"] = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=name, type=kind, description=described.get(name))
            for name, kind in columns.items()
        ]
    )
    levels, departments = warehouse.classified(output.name)
    facets["ownership"] = ownership_dataset.OwnershipDatasetFacet(
        owners=[ownership_dataset.Owner(name=f"department:{d}", type="SOURCE") for d in sorted(departments)]
    )
    tag = tags_dataset.TagsDatasetFacetFields
    facets["tags"] = tags_dataset.TagsDatasetFacet(
        tags=[tag(key="department", value=d, source="CONTRACT") for d in sorted(departments)]
        + [tag(key="sensitivity", value=levels.get(c, "L1"), source="LINEAGE", field=c) for c in columns]
    )
    output.facets = facets
    return event


class DbtColumnLineage(EventTransformer):
    """Plugged into dbt-ol's client by :func:`transport_environment`; never stops an event from going out."""

    def __init__(self, properties: dict[str, Any]) -> None:
        super().__init__(properties)
        self.warehouse: Warehouse | None = None

    def transform(self, event: Event) -> Event | None:
        if not isinstance(event, RunEvent) or event.eventType is None or event.eventType.value != "COMPLETE":
            return event
        try:
            self.warehouse = self.warehouse or _warehouse_from_environment()
            return enrich(event, self.warehouse)
        except Exception:  # lineage must never break the dbt run it describes
            log.exception("column lineage of %s not resolved; sending dbt-ol's own", event.job.name)
            return event
