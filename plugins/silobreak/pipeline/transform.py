"""Run dbt (through ``dbt-ol``, so every model's run is reported to OpenLineage with column lineage)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from silobreak.errors import SilobreakError
from silobreak.lineage.dbt_columns import transport_environment
from silobreak.lineage.emit import NAMESPACE
from silobreak.settings import REPO_ROOT, WAREHOUSE_DB, Stack, current_stack

DBT_PROJECT = REPO_ROOT / "dbt_project"


def dbt_environment(stack: Stack, parent: dict[str, str] | None = None) -> dict[str, str]:
    """Connection and OpenLineage settings for dbt, from the running stack."""
    env = {
        **os.environ,
        "SILOBREAK_PG_HOST": stack.host,
        "SILOBREAK_PG_PORT": str(stack.port("postgres")),
        "SILOBREAK_PG_USER": stack.pg_user,
        "SILOBREAK_PG_PASSWORD": stack.credentials.pg_password,
        "SILOBREAK_PG_DATABASE": WAREHOUSE_DB,
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "OPENLINEAGE_URL": stack.lineage_url,
        "OPENLINEAGE_ENDPOINT": "api/v1/lineage",
        "OPENLINEAGE_API_KEY": stack.credentials.lineage_token,
        "OPENLINEAGE_NAMESPACE": NAMESPACE,
    }
    env.update(transport_environment(stack))  # column lineage resolved to real tables, with sensitivity
    env.update(parent or {})
    return env


def airflow_parent_env(context: dict[str, Any] | None) -> dict[str, str]:
    """OPENLINEAGE_PARENT_ID / ROOT_PARENT_ID so dbt's runs hang under the Airflow task."""
    if not context or "ti" not in context:
        return {}
    from airflow.providers.openlineage.plugins import macros

    ti = context["ti"]
    return {
        "OPENLINEAGE_PARENT_ID": macros.lineage_parent_id(ti),
        "OPENLINEAGE_ROOT_PARENT_ID": macros.lineage_root_parent_id(ti),
    }


def dbt(
    args: Sequence[str],
    *,
    stack: Stack | None = None,
    context: dict[str, Any] | None = None,
    lineage: bool = True,
) -> str:
    """Run one dbt command in the project; raise with dbt's own error lines if it fails."""
    stack = stack or current_stack()
    exe = Path(sys.executable).parent / ("dbt-ol" if lineage else "dbt")
    result = subprocess.run(
        [str(exe), *args, "--project-dir", str(DBT_PROJECT)],
        env=dbt_environment(stack, airflow_parent_env(context)),
        cwd=DBT_PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        lines = output.splitlines()
        # each error line, with the two lines after it (dbt puts the database's message there)
        errors = [
            line
            for i, line in enumerate(lines)
            if any(w in text for text in lines[max(0, i - 2) : i + 1] for w in ("ERROR", "FAIL", "Error"))
        ]
        raise SilobreakError(
            f"dbt {' '.join(args)} failed:\n" + "\n".join((errors or lines)[-25:]),
            hint=f"see dbt's log in {DBT_PROJECT / 'logs' / 'dbt.log'}",
        )
    return output


def ensure_sources(stack: Stack) -> None:
    """Every feed's raw table exists (empty until its first batch loads), so staging of a feed that
    has not run yet is empty instead of failing the whole build."""
    from silobreak.contracts import load_contracts
    from silobreak.pipeline.loading import ensure_raw_table
    from silobreak.warehouse import connect, ensure_platform_schema

    with connect(stack) as conn, conn.transaction():
        ensure_platform_schema(conn)
        for contract in load_contracts():
            ensure_raw_table(conn, contract)


#: What the master_data run builds before entity resolution: staging and the person union it reads.
BEFORE_RESOLUTION = "path:models/staging int_persons__unioned"


def build(
    select: str | None = None,
    context: dict[str, Any] | None = None,
    stack: Stack | None = None,
    exclude: str | None = None,
    *,
    full: bool = False,
) -> dict[str, Any]:
    """``dbt build`` (models, snapshots and their tests) for a selection, reported to OpenLineage;
    ``full`` rebuilds incremental models from scratch."""
    stack = stack or current_stack()
    ensure_sources(stack)
    args = ["build"] + (["--select", select] if select else []) + (["--exclude", exclude] if exclude else [])
    args += ["--full-refresh"] if full else []
    output = dbt(args, stack=stack, context=context)
    summary = next((line for line in reversed(output.splitlines()) if "PASS=" in line), "")
    return {"select": select or "all", "exclude": exclude, "summary": summary.split("Done.")[-1].strip()}


def build_before_resolution(context: dict[str, Any] | None = None, stack: Stack | None = None) -> dict[str, Any]:
    """Staging of every feed and the person union, with their tests."""
    return build(BEFORE_RESOLUTION, context, stack)


def build_registers(
    context: dict[str, Any] | None = None, stack: Stack | None = None, *, full: bool = False
) -> dict[str, Any]:
    """Everything after resolution: resolved records, registers, their tests and the history
    snapshots. The person registers update only the persons resolution touched, unless ``full``."""
    from silobreak.resolution.store import ensure_schema
    from silobreak.warehouse import connect

    stack = stack or current_stack()
    with connect(stack) as conn, conn.transaction():
        ensure_schema(conn)  # the registers read resolution.person_xref, empty before the first resolution
    return build(None, context, stack, exclude=BEFORE_RESOLUTION, full=full)


def refresh(context: dict[str, Any] | None = None, stack: Stack | None = None, *, full: bool = False) -> dict[str, Any]:
    """The whole master-data refresh outside Airflow: build, resolve, build the registers; only
    what changed since the last refresh, unless ``full``."""
    from silobreak.resolution.run import resolve_persons

    stack = stack or current_stack()
    return {
        "build": build_before_resolution(context, stack),
        "resolve": resolve_persons(stack, context, full=full),
        "build_registers": build_registers(context, stack, full=full),
    }
