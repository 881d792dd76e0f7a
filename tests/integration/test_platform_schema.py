"""The platform tables are migrated once per stack (``silobreak up`` / ``silobreak migrate``); a step
only checks their version and, on tables of another version, says which command mends them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from silobreak import warehouse
from silobreak.errors import SilobreakError
from silobreak.pipeline import steps
from silobreak.settings import Stack
from silobreak.warehouse import connect

FEED = "public_security__residents"


def _migrate_cli() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "silobreak", "migrate"], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout + result.stderr


def test_up_left_the_tables_current_and_a_second_migration_runs_no_ddl(stack: Stack) -> None:
    with connect(stack) as conn:
        warehouse.ensure_platform_schema(conn)
        before = conn.execute("select migrated_at from silobreak.schema_version").fetchone()
    assert warehouse.migrate(stack) is False
    assert "already at" in _migrate_cli()
    with connect(stack) as conn:
        assert conn.execute("select migrated_at from silobreak.schema_version").fetchone() == before


def test_a_step_on_tables_of_another_version_names_the_command_that_mends_them(stack: Stack) -> None:
    with connect(stack, autocommit=True) as conn:
        conn.execute("update silobreak.schema_version set digest = 'older'")
    try:
        with pytest.raises(SilobreakError, match="another version of silobreak") as error:
            steps.pending_batches(stack, FEED)
        assert error.value.hint and "silobreak migrate" in error.value.hint
        assert f"migrated to {warehouse.SCHEMA_DIGEST}" in _migrate_cli()
        assert isinstance(steps.pending_batches(stack, FEED), list)
    finally:
        warehouse.migrate(stack)


def test_a_stack_from_before_schema_version_is_migrated_in_place(stack: Stack) -> None:
    """An existing .silobreak stack made by an older silobreak: no version row, a view missing."""
    with connect(stack, autocommit=True) as conn:
        batches = conn.execute("select count(*) from silobreak.batches").fetchone()
        conn.execute("drop table silobreak.schema_version")
        conn.execute("drop view silobreak.quality_history")
    try:
        with pytest.raises(SilobreakError, match="have not been created"):
            steps.pending_batches(stack, FEED)
        assert warehouse.migrate(stack) is True
        with connect(stack) as conn:
            warehouse.ensure_platform_schema(conn)
            assert conn.execute("select count(*) from silobreak.quality_history").fetchone() == batches
    finally:
        warehouse.migrate(stack)


def test_a_raw_table_gains_a_new_contract_column_and_is_not_locked_otherwise(stack: Stack) -> None:
    """Loading alters a raw table only for a column the contract gained: an ALTER would lock the
    table against every reader (dbt builds, departments' views) until the load commits."""
    from silobreak.contracts import get_contract
    from silobreak.pipeline.loading import ensure_raw_table

    contract = get_contract(FEED)
    extra = contract.columns[-1].model_copy(update={"name": "added_by_test"})
    fields = {name: getattr(contract, name) for name in type(contract).model_fields}
    grown = type(contract).model_validate({**fields, "columns": [*contract.columns, extra]})
    assert "added_by_test" in grown.column_names
    locked = (
        "select count(*) from pg_locks where pid = pg_backend_pid() and mode = 'AccessExclusiveLock' "
        "and relation = %s::regclass"
    )
    raw = f"{contract.raw_schema}.{contract.raw_table}"
    with connect(stack) as conn, conn.transaction():
        ensure_raw_table(conn, contract)  # made, if no batch of the feed has loaded yet
    with connect(stack) as conn, conn.transaction(force_rollback=True):
        ensure_raw_table(conn, contract)
        assert conn.execute(locked, (raw,)).fetchone() == (0,), "nothing missing: no ALTER, no lock"
        ensure_raw_table(conn, grown)
        assert conn.execute(locked, (raw,)).fetchone() == (1,)
        columns = conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
            (contract.raw_schema, contract.raw_table),
        ).fetchall()
        assert ("added_by_test",) in columns
